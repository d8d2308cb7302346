# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Following a service's paging links or markers without trusting them.

A ``nextLink`` is a full URL chosen by the server: it is followed only to the same scheme, host and port as the
first request (our signature or token must never travel elsewhere), and a link or marker seen before ends the
listing with an error instead of an endless loop.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .._errors import IntegrityError

#: More pages than any real listing of one request has; a server that never stops is a server that lies.
MAX_PAGES = 100_000


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    port = parts.port or {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


class PageGuard:
    """Checks each next link (or marker) of one listing. ``base_url`` is the URL of the first request."""

    def __init__(self, base_url: str, action: str, max_pages: int = MAX_PAGES):
        self.origin = _origin(base_url)
        self.action = action
        self.max_pages = max_pages
        self.seen: set = set()

    def check_link(self, url: str) -> str:
        """Return ``url`` when it may be followed; IntegrityError when it points elsewhere or repeats."""
        origin = _origin(url)
        if origin != self.origin:
            raise IntegrityError(
                "%s: the next-page link points at %s://%s:%s, not at %s://%s:%s where the listing started; refusing to "
                "send the credentials there" % ((self.action,) + origin + self.origin)
            )
        return self.check_marker(url)

    def check_marker(self, marker: str) -> str:
        """Return ``marker`` when it is new; IntegrityError when the service repeats one (a loop)."""
        if marker in self.seen:
            raise IntegrityError("%s: the service returned the same next-page link or marker twice; stopping" % self.action)
        if len(self.seen) >= self.max_pages:
            raise IntegrityError("%s: more than %d pages; stopping" % (self.action, self.max_pages))
        self.seen.add(marker)
        return marker
