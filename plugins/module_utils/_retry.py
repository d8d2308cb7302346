# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""The one retry policy of the collection, after azure-core's RetryPolicy (azure/core/pipeline/policies/_retry.py).

Used by the Transport (every service call), the Entra ID token endpoint session and the blob range reads.

* Retried statuses: 408, 429, 500, 502, 503, 504; for POST and PATCH only 500, 503 and 504 unless the caller says
  the call is safe to repeat.
* The server's hint wins: ``Retry-After`` (seconds or an HTTP date), ``retry-after-ms`` or ``x-ms-retry-after-ms``,
  clamped to ``backoff_max``; otherwise exponential backoff with +-20 % jitter.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable

from ._defaults import RETRIES

RETRY_STATUS = frozenset((408, 429, 500, 502, 503, 504))
RETRY_STATUS_NON_IDEMPOTENT = frozenset((500, 503, 504))
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"))
DEFAULT_RETRIES = RETRIES
DEFAULT_BACKOFF_FACTOR = 0.8
DEFAULT_BACKOFF_MAX = 60.0


def parse_retry_after(headers, now: float | None = None) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP-date), retry-after-ms or x-ms-retry-after-ms, else None."""
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) / 1000.0)
            except ValueError:
                pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class RetryPolicy:
    """How often and how long to wait. ``retries`` counts the retries after the first attempt."""

    def __init__(
        self,
        retries: int = DEFAULT_RETRIES,
        backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.retries = max(0, int(retries))
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.sleep = sleep

    @staticmethod
    def idempotent(method: str) -> bool:
        return method.upper() in IDEMPOTENT_METHODS

    def retryable_status(self, method: str, status: int, safe_to_repeat: bool = False) -> bool:
        """True when ``status`` may be retried for ``method`` (POST/PATCH only on 500/503/504 unless safe)."""
        if safe_to_repeat or self.idempotent(method):
            return status in RETRY_STATUS
        return status in RETRY_STATUS_NON_IDEMPOTENT

    def can_retry(self, attempt: int) -> bool:
        """``attempt`` is the number of retries already made."""
        return attempt < self.retries

    def delay(self, attempt: int, headers=None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based): the server's hint, else backoff with jitter."""
        if headers is not None:
            hinted = parse_retry_after(headers)
            if hinted is not None:
                return min(hinted, self.backoff_max)
        base = self.backoff_factor * (2 ** (attempt - 1))
        return min(self.backoff_max, base * random.uniform(0.8, 1.2))
