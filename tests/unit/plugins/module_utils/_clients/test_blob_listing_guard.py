# SPDX-License-Identifier: GPL-3.0-or-later
"""A List Blobs / List Containers answer that repeats its NextMarker ends with an error, never an endless loop; an
answer that is not a listing is a clean IntegrityError."""

from __future__ import annotations

import pytest

from ansible_collections.signet.azure.plugins.module_utils._auth.resolve import storage_scheme
from ansible_collections.signet.azure.plugins.module_utils._clients.blob import BlobClient
from ansible_collections.signet.azure.plugins.module_utils._errors import IntegrityError
from ansible_collections.signet.azure.plugins.module_utils._settings.storage import resolve
from ansible_collections.signet.azure.plugins.module_utils._transport import Transport
from tests.helpers.http_stub import serve

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
BLOBS = (
    b'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="c"><Blobs><Blob><Name>a</Name>'
    b"<Properties><Content-Length>1</Content-Length></Properties></Blob></Blobs><NextMarker>again</NextMarker>"
    b"</EnumerationResults>"
)
CONTAINERS = (
    b'<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Containers><Container><Name>c</Name><Properties/>'
    b"</Container></Containers><NextMarker>again</NextMarker></EnumerationResults>"
)


def _client(base):
    settings = resolve({"account_name": "devstoreaccount1", "account_key": KEY, "endpoint": base + "/devstoreaccount1"})
    return BlobClient(settings, Transport(storage_scheme(settings), retries=0))


@pytest.mark.parametrize(("body", "listing"), [(BLOBS, "blobs"), (CONTAINERS, "containers")])
def test_repeated_marker_stops(body, listing):
    with serve() as (base, script):
        script.steps = [(200, {"Content-Type": "application/xml"}, body)] * 5
        client = _client(base)
        pages = client.iter_blob_pages("c") if listing == "blobs" else client.iter_container_pages()
        with pytest.raises(IntegrityError, match="same next-page link or marker twice"):
            list(pages)
        assert len(script.seen) == 2


def test_an_answer_that_is_not_a_listing_is_a_clean_error():
    with serve() as (base, script):
        script.steps = [(200, {"Content-Type": "text/html"}, b"<html><body>captive portal")]
        with pytest.raises(IntegrityError, match="not a valid listing"):
            list(_client(base).iter_blob_pages("c"))
