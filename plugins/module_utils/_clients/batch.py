# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Azure Batch data-plane client: jobs and tasks (read-only), OData options and ``odata.nextLink`` paging.

Takes a Transport (signed with Batch Shared Key or an Entra token) and returns plain dicts, exactly as Azure returns
them. Paging is a generator: one page is held at a time, and the caller stops it after ``limit`` items, so memory
stays bounded by the page size plus what the caller keeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

from .paging import PageGuard
from .._errors import ConfigError, IntegrityError, NotFoundError
from .._signing.batch import BATCH_CONTENT_TYPE

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_PAGE = 1000


def check_id(option: str, value: str) -> str:
    """A job or task id as Batch defines it (letters, digits, ``-``, ``_``; at most 64); ConfigError otherwise."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ConfigError("%s: %r is not a Batch id (1-64 letters, digits, hyphens and underscores)" % (option, value))
    return value


def odata_query(
    api_version: str, odata_filter: str | None = None, select=None, expand=None, max_results: int | None = None
) -> str:
    """The query string of a list/get call, each value percent-encoded once (spaces as %20, never '+')."""
    pairs = [("api-version", api_version)]
    if odata_filter is not None:
        if not str(odata_filter).strip():
            raise ConfigError("filter: an empty OData filter; omit the option to list everything")
        pairs.append(("$filter", str(odata_filter)))
    if select:
        pairs.append(("$select", ",".join(s.strip() for s in select if s and s.strip())))
    if expand:
        pairs.append(("$expand", ",".join(e.strip() for e in expand if e and e.strip())))
    if max_results is not None:
        if not 1 <= int(max_results) <= MAX_PAGE:
            raise ConfigError("max_results: %s is out of range; the Batch service returns 1 to 1000 items per page" % max_results)
        pairs.append(("maxresults", str(int(max_results))))
    return "&".join("%s=%s" % (quote(k, safe="$-"), quote(v, safe="")) for k, v in pairs)


class BatchClient:
    """Read Batch jobs and tasks. ``endpoint`` is ``https://<account>.<region>.batch.azure.com``."""

    def __init__(self, transport, endpoint: str, api_version: str):
        self.transport = transport
        self.endpoint = endpoint.rstrip("/")
        self.api_version = api_version
        self._host = urlsplit(self.endpoint).netloc.lower()
        self.pages = 0

    @property
    def headers(self) -> dict:
        return {"Accept": "application/json", "Content-Type": BATCH_CONTENT_TYPE}

    def _get(self, url: str, action: str) -> dict:
        resp = self.transport.request("GET", url, headers=self.headers, expected_status=(200,), action=action)
        try:
            return resp.json()
        except ValueError:
            raise IntegrityError("%s: the Batch service answered 200 with a body that is not JSON" % action) from None

    def _pages(self, path: str, query: str, action: str) -> Iterator[dict]:
        url = "%s%s?%s" % (self.endpoint, path, query)
        guard = PageGuard(url, action)
        guard.check_marker(url)
        while url:
            page = self._get(url, action)
            self.pages += 1
            yield from page.get("value") or []
            url = page.get("odata.nextLink")
            if url:
                guard.check_link(url)

    def get_job(self, job_id: str, select=None, expand=None) -> dict | None:
        """One job as Azure returns it (without ``odata.metadata``), or None when it does not exist (404 JobNotFound)."""
        path = "/jobs/%s" % quote(check_id("job_id", job_id), safe="")
        try:
            job = self._get(
                "%s%s?%s" % (self.endpoint, path, odata_query(self.api_version, None, select, expand)),
                "get Batch job %s" % job_id,
            )
            job.pop("odata.metadata", None)  # list items carry none; keep both shapes equal
            return job
        except NotFoundError as exc:
            if exc.error_code in (None, "JobNotFound"):
                return None
            raise

    def iter_jobs(self, odata_filter=None, select=None, expand=None, max_results=None) -> Iterator[dict]:
        """Every job of the account across all pages (lazy)."""
        return self._pages("/jobs", odata_query(self.api_version, odata_filter, select, expand, max_results), "list Batch jobs")

    def iter_tasks(self, job_id: str, odata_filter=None, select=None, expand=None, max_results=None) -> Iterator[dict]:
        """Every task of job ``job_id`` across all pages (lazy). NotFoundError (JobNotFound) when the job is missing."""
        path = "/jobs/%s/tasks" % quote(check_id("job_id", job_id), safe="")
        return self._pages(
            path, odata_query(self.api_version, odata_filter, select, expand, max_results), "list tasks of Batch job %s" % job_id
        )


def take(items: Iterator[dict], limit: int | None) -> list[dict]:
    """At most ``limit`` items (all when None); stops the generator early, so no further page is requested."""
    if limit is not None and limit < 1:
        raise ConfigError("limit: %s must be 1 or more (omit it for all items)" % limit)
    out = []
    for item in items:
        out.append(item)
        if limit is not None and len(out) >= limit:
            break
    return out
