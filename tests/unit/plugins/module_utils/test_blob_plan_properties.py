# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based tests of the upload plan (issue 15): random current blobs (absent, or of any type, with a correct,
missing or stale Content-MD5) against random local data, blob types and overwrite modes.

* ``plan_upload`` never plans a write over an existing blob with ``overwrite=never``, always plans nothing for equal
  content (idempotent), appends only a true tail, and - whenever the stored MD5 is truthful - leads to a blob equal to
  the local data;
* ``ensure_blob`` (on a recording fake client) never writes over an existing blob with ``overwrite=never``, writes
  nothing for equal content, and guards every write: ``If-None-Match: *`` for a creation, the blob's ETag otherwise.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ansible_collections.signet.azure.plugins.module_utils._plans.blob import ensure_blob, plan_upload  # noqa: E402

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TYPES = st.sampled_from(["block", "page", "append"])
OVERWRITE = st.sampled_from(["never", "always", "different"])
DATA = st.binary(max_size=64)


def md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


@st.composite
def blobs(draw):
    """None, or ``(type, content, stored md5)`` where the stored MD5 is correct, missing or stale."""
    if draw(st.booleans()):
        return None
    content = draw(DATA)
    kind = draw(st.sampled_from(["correct", "missing", "stale"]))
    stored = {"correct": md5(content), "missing": None, "stale": md5(content + b"stale")}[kind]
    return draw(TYPES), content, stored


def related(current, data: bytes, reuse: str | None, cut: int):
    """Bias the search towards the interesting cases: the blob holds the local data (``same``), a prefix of it
    (``prefix``) or other bytes of the same length (``flipped``), with the drawn type and kind of stored MD5."""
    if current is None or reuse is None:
        return current
    kind, content, stored = current
    content = {
        "same": data,
        "prefix": data[: min(cut, len(data))],
        "flipped": bytes(b ^ (1 if i == cut % max(1, len(data)) else 0) for i, b in enumerate(data)),
    }[reuse]
    truthful = stored == md5(current[1])
    return kind, content, (md5(content) if truthful else stored if stored is None else md5(content + b"stale"))


REUSE = st.sampled_from([None, "same", "prefix", "flipped"])


def current_dict(current) -> dict | None:
    if current is None:
        return None
    kind, content, stored = current
    props = {"blob_type": kind, "content_length": len(content), "etag": '"0x%s"' % md5(content)[:8]}
    if stored:
        props["content_md5"] = stored
    return {"name": "b", "properties": props, "metadata": {}}


def local_dict(data: bytes, blob_type: str, current) -> dict:
    """What ``_content_plan`` passes: the MD5 of the prefix as long as the blob, for append blobs."""
    prefix = None
    if blob_type == "append" and current is not None and len(current[1]) <= len(data):
        prefix = md5(data[: len(current[1])])
    return {"size": len(data), "md5": md5(data), "prefix_md5": prefix}


def apply(plan: dict, current, data: bytes) -> bytes | None:
    """The blob's content after the plan is carried out."""
    if plan["action"] == "none":
        return None if current is None else current[1]
    if plan["action"] == "append":
        return current[1] + data[plan["append_from"] :]
    return data


@SETTINGS
@given(current=blobs(), data=DATA, blob_type=TYPES, overwrite=OVERWRITE, reuse=REUSE, cut=st.integers(0, 64))
def test_plan_upload_properties(current, data, blob_type, overwrite, reuse, cut):
    current = related(current, data, reuse, cut)
    plan = plan_upload(current_dict(current), local_dict(data, blob_type, current), blob_type, overwrite)
    action = plan["action"]
    assert action in ("create", "replace", "append", "none") and plan["reason"]
    assert (plan["append_from"] is not None) == (action == "append")
    if current is None:
        assert action == "create"
        return
    kind, content, stored = current
    if overwrite == "never":
        assert action == "none", "overwrite=never must not write over an existing blob"
    equal = kind == blob_type and content == data and stored == md5(data)
    if equal and overwrite != "always":
        assert action == "none", "equal content must not be uploaded again"
    if action == "append":
        assert blob_type == "append" and kind == "append"
        assert plan["append_from"] == len(content) < len(data)
        if stored == md5(content):
            assert data.startswith(content), "an append must only add a tail to what the blob holds"
    if stored != md5(content + b"stale") and overwrite != "never":
        assert apply(plan, current, data) == data, "the plan must end with the local data"


class FakeClient:
    """Records every call; holds one blob."""

    def __init__(self, current):
        self.current = current
        self.calls: list = []

    def url(self, container, name):
        return "https://example.invalid/%s/%s" % (container, name)

    def get_blob(self, container, name, *args):
        return self.current

    def upload(self, container, name, payload, **kwargs):
        self.calls.append(("upload", kwargs))
        with payload.open() as fh:
            data = fh.read()
        return {"name": name, "properties": {"content_length": len(data), "content_md5": md5(data)}, "metadata": {}}

    def __getattr__(self, name):  # set_blob_properties, set_blob_metadata, delete_blob, ...
        return lambda *args, **kwargs: self.calls.append((name, kwargs))


@SETTINGS
@given(current=blobs(), data=st.binary(max_size=64).map(lambda b: bytes(x & 0x7F for x in b)), blob_type=TYPES,
       overwrite=OVERWRITE, reuse=REUSE, cut=st.integers(0, 64))  # fmt: skip
def test_ensure_blob_never_writes_unguarded(current, data, blob_type, overwrite, reuse, cut):
    local = data + bytes(-len(data) % 512) if blob_type == "page" else data  # what is uploaded (page: padded)
    current = related(current, local, reuse, cut)
    client = FakeClient(current_dict(current))
    params = {"container": "cont", "name": "b", "state": "present", "src": None, "pad": True}
    params.update(blob_type=blob_type, overwrite=overwrite, content=data.decode("ascii"))
    result = ensure_blob(client, params, check_mode=False)
    uploads = [kwargs for name, kwargs in client.calls if name == "upload"]
    assert len(uploads) <= 1 and all(call[0] == "upload" for call in client.calls)
    if current is not None and overwrite == "never":
        assert not uploads and not result["changed"], "overwrite=never wrote over an existing blob"
    equal = current is not None and current[0] == blob_type and current[1] == local and current[2] == md5(local)
    if equal and overwrite != "always":
        assert not uploads and not result["changed"], "equal content was uploaded again"
    for kwargs in uploads:
        if current is None:
            assert kwargs["create_only"], "a creation must be create-only (If-None-Match: *)"
        else:
            assert kwargs["etag"] == current_dict(current)["properties"]["etag"] and not kwargs["create_only"]
            assert kwargs["current_type"] == current[0]
