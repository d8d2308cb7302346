# SPDX-License-Identifier: GPL-3.0-or-later
"""Payload.pieces and the streamed block body (issue 19: peak RSS bounded by a piece per worker, not a block).

* property: for any data, padding, offset, length and piece size, the pieces of a file payload and of the same bytes
  in memory are exactly ``data`` (zero-padded) from ``offset``, each at most ``piece`` bytes;
* a streamed block body has the block's length (Content-Length, which Shared Key signs) and yields the same bytes
  each time it is iterated (a retry re-sends it from the start);
* a file that shrank under the reader fails with IntegrityError instead of sending a short body;
* against Azurite, a 24 MiB upload in 8 MiB blocks on 3 threads allocates at most a few MiB (tracemalloc), and the
  blob holds the file with its whole-file Content-MD5.
"""

from __future__ import annotations

import hashlib
import os
import tracemalloc
import uuid

import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ansible_collections.signet.azure.plugins.module_utils._clients.blob import (  # noqa: E402
    READ_PIECE,
    BlobClient,
    Payload,
    _RangeBody,
)
from ansible_collections.signet.azure.plugins.module_utils._errors import IntegrityError  # noqa: E402

MiB = 1024 * 1024


@st.composite
def cases(draw):
    data = draw(st.binary(max_size=3000))
    pad = draw(st.booleans())
    size = (len(data) + 511) // 512 * 512 if pad else len(data)
    offset = draw(st.integers(0, size))
    length = draw(st.integers(0, size - offset))
    piece = draw(st.integers(1, 700))
    return data, pad, offset, length, piece


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_pieces_are_the_bytes_asked_for(tmp_path, case):
    data, pad, offset, length, piece = case
    path = tmp_path / "src.bin"
    path.write_bytes(data)
    padded = data.ljust(Payload(content=data, pad_to_page=pad).size, b"\0")
    want = padded[offset : offset + length]
    for payload in (Payload(path=str(path), pad_to_page=pad), Payload(content=data, pad_to_page=pad)):
        got = []
        for view in payload.pieces(offset, length, piece):
            assert 0 < len(view) <= piece
            got.append(bytes(view))  # a view is valid until the next one: copy it now
        assert b"".join(got) == want


def test_range_body_has_its_length_and_repeats(tmp_path):
    data = os.urandom(3 * READ_PIECE + 123)
    path = tmp_path / "src.bin"
    path.write_bytes(data)
    body = _RangeBody(Payload(path=str(path)), READ_PIECE - 7, 2 * READ_PIECE)
    assert len(body) == 2 * READ_PIECE
    first = b"".join(bytes(v) for v in body)
    second = b"".join(bytes(v) for v in body)
    assert first == second == data[READ_PIECE - 7 : 3 * READ_PIECE - 7]


def test_a_file_that_shrank_is_never_sent_short(tmp_path):
    path = tmp_path / "src.bin"
    path.write_bytes(b"x" * 5000)
    payload = Payload(path=str(path))
    path.write_bytes(b"x" * 100)
    with pytest.raises(IntegrityError, match="changed during the upload .*shrank.*the blob is unchanged") as info:
        b"".join(bytes(v) for v in payload.pieces(0, 5000, 1024))
    assert info.value.details == {"changed": False, "blob_content": "old"}


def test_block_upload_memory_is_a_piece_per_thread_not_a_block(azurite, tmp_path):
    """24 MiB in 8 MiB blocks on 3 threads: holding blocks in memory (as 1.0 did) allocates >= 24 MiB; streaming
    them allocates about a READ_PIECE per thread."""
    from azure.storage.blob import BlobServiceClient

    from ansible_collections.signet.azure.plugins.module_utils._auth.resolve import storage_scheme
    from ansible_collections.signet.azure.plugins.module_utils._settings.storage import resolve
    from ansible_collections.signet.azure.plugins.module_utils._transport import Transport

    data = os.urandom(24 * MiB)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    settings_ = resolve({"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint})
    client = BlobClient(settings_, Transport(storage_scheme(settings_), retries=0))
    container = "mem-" + uuid.uuid4().hex[:10]
    assert client.create_container(container)
    del data
    try:
        tracemalloc.start()
        try:
            client.upload(
                container, "big.bin", Payload(path=str(src)), block_size=8 * MiB, single_put_size=MiB, max_concurrency=3
            )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 8 * MiB, "peak Python allocations %.1f MiB" % (peak / MiB)
        oracle = BlobServiceClient.from_connection_string(azurite.connection_string).get_blob_client(container, "big.bin")
        expected = src.read_bytes()
        assert oracle.download_blob().readall() == expected
        assert oracle.get_blob_properties().content_settings.content_md5 == hashlib.md5(expected).digest()
    finally:
        client.delete_container(container)
        client.close()
