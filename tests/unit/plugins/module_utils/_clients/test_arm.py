# SPDX-License-Identifier: GPL-3.0-or-later
"""ArmClient LRO rules (plugins/module_utils/_clients/arm.py) with a scripted transport.

The happy paths run against the twin (tests/integration/test_rotation.py, tests/twin/test_twin_arm_sdk.py); these
cases cover what the twin does not do on its own: Location-only polling, a foreign polling host, a status body without
``status``, the deadline, Canceled, and the at-most-once PUT after an ambiguous failure (research facts 3.6, 6.7).
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients.arm import ArmClient
from ansible_collections.signet.azure.plugins.module_utils._errors import AzureRestError, OperationFailedError, TransportError

BASE = "https://management.azure.com"
RID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/cloudServices/cs"


class Resp:
    def __init__(self, status=200, body=None, headers=None):
        self.status_code = status
        self.headers = dict(headers or {})
        self.text = json.dumps(body) if body is not None else ""
        self.content = self.text.encode()

    def json(self):
        return json.loads(self.text) if self.text else None


class ScriptedTransport:
    """Answers requests from a list of (method, url-substring, response-or-exception) in order."""

    def __init__(self, script):
        self.script = list(script)
        self.sent = []
        self.retries = 3

    def request(self, method, url, params=None, headers=None, json_body=None, expected_status=(200,), action=None, **kw):
        self.sent.append((method, url, dict(headers or {}), self.retries))
        want_method, fragment, answer = self.script.pop(0)
        assert method == want_method and fragment in url, (method, url, want_method, fragment)
        if isinstance(answer, Exception):
            raise answer
        if expected_status is not None and answer.status_code not in expected_status:
            raise AzureRestError("%s: HTTP %s" % (action, answer.status_code), status=answer.status_code)
        return answer


def client(script):
    clock = {"t": 0.0}

    def sleep(s):
        clock["t"] += s

    t = ScriptedTransport(script)
    return ArmClient(t, BASE, "2024-11-04", poll_interval=5, sleep=sleep, clock=lambda: clock["t"]), t, clock


DONE = Resp(200, {"name": "cs", "properties": {"provisioningState": "Succeeded"}})


def test_azure_async_operation_polled_then_final_get():
    c, t, clock = client(
        [
            (
                "PUT",
                RID,
                Resp(
                    201,
                    {"properties": {"provisioningState": "Updating"}},
                    {"Azure-AsyncOperation": BASE + "/op/1", "Retry-After": "2"},
                ),
            ),
            ("GET", "/op/1", Resp(200, {"status": "InProgress"}, {"Retry-After": "3"})),
            ("GET", "/op/1", Resp(200, {"status": "Succeeded"})),
            ("GET", RID, DONE),
        ]
    )
    assert c.put(RID, {"location": "eastus"}, if_match='"e1"') == DONE.json()
    assert t.sent[0][2] == {"If-Match": '"e1"'}
    assert t.sent[0][3] == 0  # the PUT itself is sent without transport retries
    assert t.retries == 3  # and the setting is restored
    assert clock["t"] == 2 + 3  # Retry-After of the latest response


def test_location_only_202_then_200():
    c, t, _clock = client(
        [
            ("PUT", RID, Resp(202, None, {"Location": BASE + "/loc/1"})),
            ("GET", "/loc/1", Resp(202, None)),
            ("GET", "/loc/1", Resp(200, None)),
            ("GET", RID, DONE),
        ]
    )
    assert c.put(RID, {})["properties"]["provisioningState"] == "Succeeded"


def test_no_header_polls_the_resource():
    c, _t, _clock = client(
        [
            ("PUT", RID, Resp(200, {"properties": {"provisioningState": "Updating"}})),
            ("GET", RID, Resp(200, {"properties": {"provisioningState": "Updating"}})),
            ("GET", RID, DONE),
        ]
    )
    assert c.put(RID, {})["properties"]["provisioningState"] == "Succeeded"


def test_foreign_polling_host_is_refused():
    c, t, _clock = client([("PUT", RID, Resp(201, {}, {"Azure-AsyncOperation": "https://evil.example.com/op"}))])
    with pytest.raises(OperationFailedError, match="refusing to send the token"):
        c.put(RID, {})
    assert len(t.sent) == 1


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (
            {"status": "Failed", "error": {"code": "BadCert", "message": "no key", "details": [{"code": "X"}]}},
            "failed: BadCert: no key",
        ),
        ({"status": "Canceled"}, "was canceled"),
        ({"state": "weird"}, "bad LRO response"),
    ],
)
def test_terminal_failures(body, match):
    c, _t, _clock = client(
        [("PUT", RID, Resp(201, {}, {"Azure-AsyncOperation": BASE + "/op/2"})), ("GET", "/op/2", Resp(200, body))]
    )
    with pytest.raises(OperationFailedError, match=match) as err:
        c.put(RID, {})
    if body.get("error"):
        assert err.value.error_code == "BadCert" and err.value.details["error_details"] == [{"code": "X"}]


def test_deadline():
    c, _t, _clock = client(
        [
            ("PUT", RID, Resp(201, {}, {"Azure-AsyncOperation": BASE + "/op/3", "Retry-After": "40"})),
            ("GET", "/op/3", Resp(200, {"status": "InProgress"}, {"Retry-After": "40"})),
        ]
    )
    with pytest.raises(OperationFailedError, match="still running after 60 s"):
        c.put(RID, {}, wait_timeout=60)


def test_put_not_resent_when_the_reread_shows_the_update_started():
    c, t, _clock = client(
        [
            ("PUT", RID, TransportError("PUT: connection reset")),
            ("GET", RID, Resp(200, {"properties": {"provisioningState": "Updating", "configuration": "new"}})),
            ("GET", RID, DONE),
        ]
    )
    result = c.put(RID, {}, started=lambda body: body["properties"]["configuration"] == "new")
    assert result["properties"]["provisioningState"] == "Succeeded"
    assert [sent[0] for sent in t.sent].count("PUT") == 1


def test_put_retried_when_the_update_did_not_start():
    c, t, _clock = client(
        [
            ("PUT", RID, AzureRestError("boom", status=503)),
            ("GET", RID, Resp(200, {"properties": {"provisioningState": "Succeeded", "configuration": "old"}})),
            ("PUT", RID, Resp(200, {"properties": {"provisioningState": "Succeeded"}})),
        ]
    )
    c.put(RID, {}, started=lambda body: body["properties"]["configuration"] == "new")
    assert [sent[0] for sent in t.sent].count("PUT") == 2


def test_client_errors_are_not_retried():
    c, t, _clock = client([("PUT", RID, AzureRestError("precondition", status=412))])
    with pytest.raises(AzureRestError, match="precondition"):
        c.put(RID, {})
    assert len(t.sent) == 1


# ---- follow(): any ARM request (signet.azure.request with wait=true) ------------------------------------------------
URL = BASE + RID + "?api-version=2024-11-04&$expand=instanceView"


def test_follow_put_async_then_get_of_the_request_url():
    c, t, clock = client(
        [
            ("GET", "/op/9", Resp(200, {"status": "InProgress"}, {"Retry-After": "1"})),
            ("GET", "/op/9", Resp(200, {"status": "Succeeded"})),
            ("GET", URL, DONE),
        ]
    )
    first = Resp(201, {"properties": {"provisioningState": "Creating"}}, {"Azure-AsyncOperation": BASE + "/op/9?api-version=x"})
    out = c.follow(first, "put", URL, 600)
    assert out["response"] is DONE
    assert out["poll_url"] == BASE + "/op/9"
    assert t.sent[-1][1] == URL  # the final GET keeps the request's own query ($expand)
    assert len(c.poll_log) == 2 and clock["t"] == 5 + 1  # first Retry-After missing: poll_interval, then 1 s


def test_follow_delete_location_only_reports_the_final_answer_without_a_get():
    gone = Resp(204, None)
    c, t, _clock = client([("GET", "/loc/7", Resp(202, None, {"Retry-After": "0"})), ("GET", "/loc/7", gone)])
    out = c.follow(Resp(202, None, {"Location": BASE + "/loc/7", "Retry-After": "0"}), "DELETE", URL, 600)
    assert out["response"] is gone and out["poll_url"] == BASE + "/loc/7"
    assert [s[0] for s in t.sent] == ["GET", "GET"] and all("/loc/7" in s[1] for s in t.sent)


def test_follow_delete_async_reports_the_final_status():
    status = Resp(200, {"status": "Succeeded"})
    c, t, _clock = client([("GET", "/op/8", status)])
    out = c.follow(Resp(202, None, {"Azure-AsyncOperation": BASE + "/op/8", "Location": BASE + "/loc/8"}), "DELETE", URL, 600)
    assert out["response"] is status and len(t.sent) == 1


def test_follow_post_async_then_get_of_location():
    result = Resp(200, {"value": "done"})
    c, _t, _clock = client([("GET", "/op/6", Resp(200, {"status": "Succeeded"})), ("GET", "/loc/6", result)])
    first = Resp(202, None, {"Azure-AsyncOperation": BASE + "/op/6", "Location": BASE + "/loc/6"})
    assert c.follow(first, "POST", BASE + RID + "/start?api-version=1", 600)["response"] is result


def test_follow_nothing_to_follow():
    c, t, _clock = client([])
    done = Resp(200, {"properties": {"provisioningState": "Succeeded"}})
    assert c.follow(done, "PUT", URL, 600) == {"response": done, "poll_url": None}
    gone = Resp(204, None)
    assert c.follow(gone, "DELETE", URL, 600) == {"response": gone, "poll_url": None}
    assert t.sent == [] and c.poll_log == []


def test_follow_put_without_headers_polls_the_request_url():
    c, t, _clock = client([("GET", URL, Resp(200, {"properties": {"provisioningState": "Updating"}})), ("GET", URL, DONE)])
    out = c.follow(Resp(201, {"properties": {"provisioningState": "Creating"}}), "PUT", URL, 600)
    assert out["response"] is DONE and out["poll_url"] == BASE + RID
    assert [e["status"] for e in c.poll_log] == ["updating", "succeeded"]


def test_follow_failed_delete_and_foreign_host():
    c, _t, _clock = client(
        [("GET", "/op/5", Resp(200, {"status": "Failed", "error": {"code": "Conflict", "message": "in use"}}))]
    )
    with pytest.raises(OperationFailedError, match="failed: Conflict: in use"):
        c.follow(Resp(202, None, {"Azure-AsyncOperation": BASE + "/op/5"}), "DELETE", URL, 600)
    c, t, _clock = client([])
    with pytest.raises(OperationFailedError, match="refusing to send the token"):
        c.follow(Resp(202, None, {"Location": "https://evil.example.com/loc"}), "DELETE", URL, 600)
    assert t.sent == []
