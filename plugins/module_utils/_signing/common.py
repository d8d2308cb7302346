# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""What the Storage and Batch Shared Key signers share: the standard header lines and the HMAC. Everything else
differs between the two services (see the module docstrings of ``storage.py`` and ``batch.py``)."""

from __future__ import annotations

import base64
import hashlib
import hmac

#: The eleven standard headers of the Shared Key signature string, in signing order (after the VERB line), for
#: Blob/Queue/File and for Batch alike.
STANDARD_HEADERS = (
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
)


def hmac_sha256_b64(key: bytes, message: str) -> str:
    """Return Base64(HMAC-SHA256(key, UTF-8(message)))."""
    return base64.b64encode(hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()).decode("ascii")
