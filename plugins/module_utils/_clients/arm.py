# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""A small, generic Azure Resource Manager client: GET, PUT and PATCH of a resource, with long-running operations.

LRO rules ("Track asynchronous Azure operations",
https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations, and azure-mgmt-core's
ARMPolling, azure/mgmt/core/polling/arm_polling.py): the polling URL is ``Azure-AsyncOperation``,
else ``Location``, else the resource itself; it must be an https URL on the ARM host (the bearer token is never sent
elsewhere). The interval is the latest ``Retry-After`` (else ``poll_interval``), the overall deadline
``wait_timeout``. Terminal states are Succeeded, Failed and Canceled (case-insensitive); on success the resource is
read again. Failed / Canceled raise OperationFailedError with Azure's ``error.code``, ``error.message`` and
``details``.

A PUT is never sent twice once ARM accepted it: the transport's own retries are switched off for the PUT, and when
the connection fails after the request may have been sent, or ARM answers 5xx/429, the resource is read again to
learn whether the update started (``started(resource)``) before the PUT is retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from .._errors import AzureRestError, OperationFailedError, TransportError
from .._retry import RetryPolicy, parse_retry_after
from .._transport import json_of

TERMINAL = ("succeeded", "failed", "canceled", "cancelled")


class ArmClient:
    """ARM calls through a Transport signed with an Entra token for the cloud's ARM resource.

    ``base_url``: e.g. ``https://management.azure.com``. ``sleep``/``clock`` are injectable for tests.
    """

    def __init__(
        self,
        transport,
        base_url: str,
        api_version: str,
        *,
        poll_interval: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.poll_interval = poll_interval
        self.sleep = sleep
        self.clock = clock
        self.host = (urlsplit(self.base_url).hostname or "").lower()
        self.poll_log: list[dict] = []

    def url(self, resource_id: str) -> str:
        """Absolute URL of a resource id (``/subscriptions/...``)."""
        return self.base_url + "/" + resource_id.lstrip("/")

    # -- plain calls -------------------------------------------------------------------------------------------
    def get(self, resource_id: str, action: str | None = None) -> dict:
        """GET a resource. Returns ``{"body": dict, "etag": str|None}``; raises NotFoundError etc."""
        resp = self.transport.request(
            "GET", self.url(resource_id), params={"api-version": self.api_version}, action=action or "read %s" % resource_id
        )
        body = json_of(resp, action or "read %s" % resource_id)
        return {"body": body, "etag": resp.headers.get("ETag") or body.get("etag")}

    # -- PUT with at-most-once acceptance ----------------------------------------------------------------------
    def put(
        self,
        resource_id: str,
        body: dict,
        *,
        if_match: str | None = None,
        wait: bool = True,
        wait_timeout: float = 3600,
        started: Callable[[dict], bool] | None = None,
        on_accepted: Callable[[dict], None] | None = None,
    ) -> dict:
        """PUT ``body`` and (``wait``) follow the LRO. Returns the final resource (or the accepted body).

        ``started(resource_body)`` tells whether a re-read resource already shows this update (used only after an
        ambiguous failure). ``on_accepted(info)`` is called once ARM accepted the PUT, with the polling URL.
        """
        headers = {"If-Match": if_match} if if_match else {}
        retries = self.transport.retries
        attempt = 0
        while True:
            saved = self.transport.retries
            self.transport.retries = 0
            try:
                resp = self.transport.request(
                    "PUT",
                    self.url(resource_id),
                    params={"api-version": self.api_version},
                    json_body=body,
                    headers=headers,
                    expected_status=(200, 201, 202),
                    action="update %s" % resource_id,
                )
            except (TransportError, AzureRestError) as exc:
                ambiguous = isinstance(exc, TransportError) or (exc.status or 0) >= 500 or exc.status == 429
                if not ambiguous or attempt >= retries:
                    raise
                attempt += 1
                recovered = self._reread_after_ambiguous_put(resource_id, exc, started)
                if recovered is not None:
                    if on_accepted:
                        on_accepted({"poll_url": self.url(resource_id), "recovered": True})
                    if not wait:
                        return recovered
                    return self._poll_resource(resource_id, self.clock() + wait_timeout, wait_timeout)
                hinted = getattr(exc, "retry_after", None)
                self.sleep(min(hinted, 60.0) if hinted is not None else RetryPolicy().delay(attempt))
                continue
            finally:
                self.transport.retries = saved
            break
        if on_accepted:
            on_accepted({"status": resp.status_code, "poll_url": self._poll_url(resp, resource_id)})
        if not wait:
            return json_of(resp, "read the operation status")
        return self.wait(resp, resource_id, wait_timeout)

    def _reread_after_ambiguous_put(self, resource_id: str, exc, started) -> dict | None:
        """A PUT that timed out or lost its connection may still be in flight and be accepted a moment later:
        re-read with a short backoff before sending it again (a 5xx/429 answer was not an acceptance, one re-read).
        Returns the resource body when it already shows this update, else None."""
        rereads = 4 if isinstance(exc, TransportError) else 1
        for n in range(rereads):
            if n:
                self.sleep(2.0 ** (n - 1))
            current = self.get(resource_id, action="re-read %s after a failed update" % resource_id)
            if started is not None and started(current["body"]):
                return current["body"]
        return None

    # -- LRO -----------------------------------------------------------------------------------------------------
    def _check_url(self, url: str) -> str:
        split = urlsplit(url)
        if split.scheme != "https" or (split.hostname or "").lower() != self.host:
            raise OperationFailedError(
                "the long-running operation points at %s, not at the ARM host %s: refusing to send the token there"
                % (split.hostname or url, self.host),
                url=url.split("?", 1)[0],
            )
        return url

    def _poll_url(self, resp, resource_id: str) -> str:
        return resp.headers.get("Azure-AsyncOperation") or resp.headers.get("Location") or self.url(resource_id)

    def _interval(self, resp) -> float:
        hinted = parse_retry_after(resp.headers)
        return self.poll_interval if hinted is None else min(hinted, 300.0)

    def wait(self, resp, resource_id: str, wait_timeout: float) -> dict:
        """Follow the LRO started by ``resp`` and return the final resource. Raises OperationFailedError."""
        deadline = self.clock() + wait_timeout
        async_url = resp.headers.get("Azure-AsyncOperation")
        location = resp.headers.get("Location")
        if async_url:
            self._poll_async(self._check_url(async_url), resp, deadline, wait_timeout)
        elif location:
            self._poll_location(self._check_url(location), resp, deadline, wait_timeout)
        else:
            body = json_of(resp, "read the operation status")
            state = ((body.get("properties") or {}).get("provisioningState") or "Succeeded").lower()
            if state in TERMINAL:
                self._raise_if_failed(state, body, self.url(resource_id))
                return body
            return self._poll_resource(resource_id, deadline, wait_timeout, first=resp)
        return self.get(resource_id, action="read %s after the update" % resource_id)["body"]

    # -- any ARM request (signet.azure.request with wait=true) ---------------------------------------------------
    def follow(self, resp, method: str, url: str, wait_timeout: float) -> dict:
        """Follow the long-running operation that ``resp``, the answer to ``method url``, started (any ARM request).

        Returns ``{"response": <the answer to report>, "poll_url": <the URL polled, without its query, or None>}``.
        Polling follows :meth:`wait`; the answer reported follows azure-core's LROBasePolling (``get_final_get_url``):
        after ``Azure-AsyncOperation``, a GET of the request URL for PUT and PATCH, of the ``Location`` URL for a POST
        that has one, else the final operation status (DELETE); after ``Location`` alone, a GET of the request URL for
        PUT and PATCH, else the Location's final answer. Without either header a PUT or PATCH whose
        ``provisioningState`` is not terminal is polled at the request URL until it is.
        """
        method = method.upper()
        deadline = self.clock() + wait_timeout
        async_url = resp.headers.get("Azure-AsyncOperation")
        location = resp.headers.get("Location")
        if async_url:
            poll_url = self._check_url(async_url)
            final = self._poll_async(poll_url, resp, deadline, wait_timeout)
        elif location:
            poll_url = self._check_url(location)
            final = self._poll_location(poll_url, resp, deadline, wait_timeout)
        elif method in ("PUT", "PATCH") and resp.status_code != 204:
            final = self._poll_request_url(resp, self._check_url(url), deadline, wait_timeout)
            return {"response": final, "poll_url": url.split("?", 1)[0] if final is not resp else None}
        else:
            return {"response": resp, "poll_url": None}
        if method in ("PUT", "PATCH"):
            final = self.transport.request("GET", self._check_url(url), action="read %s after the operation" % urlsplit(url).path)
        elif method == "POST" and async_url and location:
            final = self.transport.request(
                "GET", self._check_url(location), expected_status=(200, 204), action="read the operation's result"
            )
        return {"response": final, "poll_url": poll_url.split("?", 1)[0]}

    def _poll_request_url(self, resp, url: str, deadline: float, wait_timeout: float):
        """GET ``url`` until its ``provisioningState`` is terminal; ``resp`` itself when it already is."""
        first, bare = resp, url.split("?", 1)[0]
        while True:
            body = json_of(resp, "read %s" % bare)
            props = body.get("properties") if isinstance(body, dict) else None
            state = ((props if isinstance(props, dict) else {}).get("provisioningState") or "Succeeded").lower()
            if resp is not first:
                self.poll_log.append({"url": bare, "status": state})
            if state in TERMINAL:
                self._raise_if_failed(state, body, url, resp=resp)
                return resp
            self._sleep_until_next(resp, deadline, url, wait_timeout)
            resp = self.transport.request("GET", url, action="poll %s" % bare)

    def _timeout(self, url: str, wait_timeout: float):
        return OperationFailedError(
            "the operation is still running after %d s; it continues in Azure. Poll URL: %s"
            % (wait_timeout, url.split("?", 1)[0]),
            url=url.split("?", 1)[0],
            details={"timed_out": True},
        )

    def _sleep_until_next(self, resp, deadline: float, url: str, wait_timeout: float) -> None:
        delay = self._interval(resp)
        if self.clock() + delay > deadline:
            raise self._timeout(url, wait_timeout)
        self.sleep(delay)

    def _poll_async(self, url: str, resp, deadline: float, wait_timeout: float) -> None:
        while True:
            self._sleep_until_next(resp, deadline, url, wait_timeout)
            resp = self.transport.request("GET", url, action="poll the operation")
            body = json_of(resp, "read the operation status")
            status = body.get("status")
            self.poll_log.append({"url": url.split("?", 1)[0], "status": status})
            if not status:
                raise OperationFailedError(
                    "bad LRO response: the operation status has no 'status'", url=url.split("?", 1)[0], body=resp.text
                )
            if status.lower() in TERMINAL:
                self._raise_if_failed(status.lower(), body, url, resp=resp)
                return resp

    def _poll_location(self, url: str, resp, deadline: float, wait_timeout: float) -> None:
        while True:
            self._sleep_until_next(resp, deadline, url, wait_timeout)
            resp = self.transport.request("GET", url, expected_status=(200, 201, 202, 204), action="poll the operation")
            self.poll_log.append({"url": url.split("?", 1)[0], "status": resp.status_code})
            if resp.status_code == 202:
                continue
            body = json_of(resp, "read the operation status")
            status = (body.get("status") or "").lower()
            if status in ("failed", "canceled", "cancelled"):
                self._raise_if_failed(status, body, url, resp=resp)
            return resp

    def _poll_resource(self, resource_id: str, deadline: float, wait_timeout: float, first=None) -> dict:
        url = self.url(resource_id)
        resp = first
        while True:
            if resp is not None:
                self._sleep_until_next(resp, deadline, url, wait_timeout)
            resp = self.transport.request("GET", url, params={"api-version": self.api_version}, action="poll %s" % resource_id)
            body = json_of(resp, "poll %s" % resource_id)
            state = ((body.get("properties") or {}).get("provisioningState") or "Succeeded").lower()
            self.poll_log.append({"url": url, "status": state})
            if state in TERMINAL:
                self._raise_if_failed(state, body, url, resp=resp)
                return body

    @staticmethod
    def _raise_if_failed(state: str, body: dict, url: str, resp=None) -> None:
        if state == "succeeded":
            return
        error = body.get("error") or (body.get("properties") or {}).get("error") or {}
        code = error.get("code")
        message = error.get("message") or ""
        verb = "was canceled" if state.startswith("cancel") else "failed"
        msg = "the long-running operation %s" % verb
        if code:
            msg += ": %s" % code
        if message:
            msg += ": %s" % message
        details = {"operation_status": state.capitalize()}
        if error.get("details"):
            details["error_details"] = error["details"]
        raise OperationFailedError(
            msg,
            error_code=code,
            url=url.split("?", 1)[0],
            request_id=resp.headers.get("x-ms-request-id") if resp is not None else None,
            details=details,
        )
