# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""The one HTTP send loop of the collection, on ``requests``.

* Signing happens in a ``requests.auth.AuthBase`` on the final prepared request, so ``~/.netrc`` cannot replace our
  Authorization header and the signature covers the URL exactly as sent. Every attempt is prepared and signed again,
  with a fresh date.
* Retries follow azure-core's RetryPolicy (azure/core/pipeline/policies/_retry.py): 408, 429, 500, 502, 503, 504;
  POST and PATCH only on 500/503/504; Retry-After (seconds or HTTP date), retry-after-ms and x-ms-retry-after-ms
  honoured and clamped; exponential backoff with jitter otherwise. Connection errors before the request was sent are
  retried for every method; read errors only for idempotent methods.
* Every message is redacted.
"""

from __future__ import annotations

import email.utils
import random
import time
import uuid
from collections.abc import Callable, Iterable

try:
    import requests
    from requests.auth import AuthBase

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - exercised only without requests
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = _exc
    AuthBase = object

from ._errors import AzureRestError, TransportError, error_class_for, parse_error_body
from ._redact import Redactor

RETRY_STATUS = frozenset((408, 429, 500, 502, 503, 504))
RETRY_STATUS_NON_IDEMPOTENT = frozenset((500, 503, 504))
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"))
USER_AGENT = "signet.azure/1.0.0 (+https://github.com/signet-azure/signet.azure)"


class NoAuth(AuthBase):
    """Sends no credentials, but still blocks requests' .netrc lookup."""

    name = "none"
    last_string_to_sign = None

    def validate(self) -> None:
        return None

    def __call__(self, r):
        return r


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


def status_line(resp) -> str:
    reason = getattr(resp, "reason", "") or ""
    return ("HTTP %s %s" % (resp.status_code, reason)).strip()


class Transport:
    """Signed HTTP client.

    ``auth`` is an AuthBase with ``validate()`` (see _auth/). ``timeout`` is the read timeout in seconds,
    ``connect_timeout`` the connect timeout. ``retries`` is the number of retries after the first attempt.
    ``on_retry(message)`` is called before each retry sleep (modules pass ``module.warn``). ``explain(resp, auth)``
    returns extra text and fields for an authentication failure (see _explain.py).
    """

    def __init__(
        self,
        auth=None,
        *,
        timeout: float = 60,
        connect_timeout: float = 10,
        retries: int = 3,
        backoff_factor: float = 0.8,
        backoff_max: float = 60,
        validate_certs: bool = True,
        ca_bundle: str | None = None,
        client_cert=None,
        redactor: Redactor | None = None,
        on_retry: Callable[[str], None] | None = None,
        explain: Callable | None = None,
        default_headers: dict | None = None,
        sleep: Callable[[float], None] = time.sleep,
        session=None,
        adapter=None,
    ):
        if not HAS_REQUESTS:
            raise AzureRestError("the Python library 'requests' is required: pip install requests")
        self.auth = auth if auth is not None else NoAuth()
        self.timeout = (connect_timeout, timeout)
        self.retries = max(0, int(retries))
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.verify = (ca_bundle or True) if validate_certs else False
        self.client_cert = client_cert
        self.redactor = redactor or Redactor()
        self.on_retry = on_retry
        self.explain = explain
        self.default_headers = {"User-Agent": USER_AGENT}
        self.default_headers.update(default_headers or {})
        self.sleep = sleep
        self.session = session or requests.Session()
        if adapter is not None:
            self.session.mount("https://", adapter)
        self.retry_log: list[dict] = []

    # -- helpers -------------------------------------------------------------------------------------------------
    def _delay(self, attempt: int, resp=None) -> float:
        if resp is not None:
            hinted = parse_retry_after(resp.headers)
            if hinted is not None:
                return min(hinted, self.backoff_max)
        base = self.backoff_factor * (2 ** (attempt - 1))
        return min(self.backoff_max, base * random.uniform(0.8, 1.2))

    def _retry(self, attempt: int, reason: str, delay: float, method: str, url: str) -> None:
        message = "%s %s: %s; retrying in %.1f s (retry %d of %d)" % (
            method,
            self.redactor.redact(url.split("?", 1)[0]),
            reason,
            delay,
            attempt,
            self.retries,
        )
        self.retry_log.append({"attempt": attempt, "reason": reason, "delay": delay})
        if self.on_retry:
            self.on_retry(message)
        if delay > 0:
            self.sleep(delay)

    @staticmethod
    def _rewind(data):
        if hasattr(data, "seek") and hasattr(data, "tell"):
            return data.tell()
        return None

    # -- the send loop -------------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        params=None,
        headers: dict | None = None,
        data=None,
        json_body=None,
        expected_status: Iterable[int] | None = (200,),
        stream: bool = False,
        action: str | None = None,
        timeout: float | None = None,
        retry_non_idempotent: bool = False,
    ):
        """Send a request and return the ``requests.Response``.

        Raises a subclass of AzureRestError: TransportError after the retries are used up, or the class for the
        status (AuthenticationError, NotFoundError, ...) when the final status is not in ``expected_status``
        (``None`` accepts any status).
        """
        method = method.upper()
        hdrs = dict(self.default_headers)
        hdrs.update(headers or {})
        hdrs.setdefault("x-ms-client-request-id", str(uuid.uuid4()))
        if json_body is not None:
            import json as _json

            data = _json.dumps(json_body).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        start_pos = self._rewind(data)
        idempotent = method in IDEMPOTENT_METHODS or retry_non_idempotent
        req_timeout = self.timeout if timeout is None else (self.timeout[0], timeout)
        attempt = 0
        while True:
            if start_pos is not None:
                data.seek(start_pos)
            try:
                resp = self.session.request(
                    method,
                    url,
                    params=params,
                    headers=hdrs,
                    data=data,
                    auth=self.auth,
                    timeout=req_timeout,
                    verify=self.verify,
                    cert=self.client_cert,
                    stream=stream,
                    allow_redirects=False,
                )
            except requests.exceptions.ConnectionError as exc:
                sent = not isinstance(exc, requests.exceptions.ConnectTimeout) and "NewConnectionError" not in repr(exc)
                if isinstance(exc, requests.exceptions.SSLError):
                    raise TransportError(
                        self.redactor.redact("%s: TLS error: %s" % (action or method, exc)),
                        url=self.redactor.redact(url),
                    ) from None
                if attempt < self.retries and (idempotent or not sent):
                    attempt += 1
                    self._retry(attempt, "connection error (%s)" % type(exc).__name__, self._delay(attempt), method, url)
                    continue
                raise TransportError(
                    self.redactor.redact("%s: connection failed after %d attempt(s): %s" % (action or method, attempt + 1, exc)),
                    url=self.redactor.redact(url),
                ) from None
            except requests.exceptions.Timeout as exc:
                if attempt < self.retries and idempotent:
                    attempt += 1
                    self._retry(attempt, "timeout", self._delay(attempt), method, url)
                    continue
                raise TransportError(
                    self.redactor.redact(
                        "%s: timed out after %d attempt(s) (timeout %s s): %s"
                        % (action or method, attempt + 1, req_timeout[1], exc)
                    ),
                    url=self.redactor.redact(url),
                ) from None
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                # the response was cut off or garbled while being read: a read error, retried for idempotent methods
                if attempt < self.retries and idempotent:
                    attempt += 1
                    self._retry(attempt, "truncated response (%s)" % type(exc).__name__, self._delay(attempt), method, url)
                    continue
                raise TransportError(
                    self.redactor.redact(
                        "%s: the response was cut off after %d attempt(s): %s" % (action or method, attempt + 1, exc)
                    ),
                    url=self.redactor.redact(url),
                ) from None
            except requests.exceptions.RequestException as exc:
                raise TransportError(
                    self.redactor.redact("%s: request failed: %s" % (action or method, exc)), url=self.redactor.redact(url)
                ) from None

            status = resp.status_code
            retryable = status in (RETRY_STATUS if method in IDEMPOTENT_METHODS else RETRY_STATUS_NON_IDEMPOTENT)
            if retry_non_idempotent:
                retryable = status in RETRY_STATUS
            if expected_status is not None and status in expected_status:
                return resp
            if retryable and attempt < self.retries:
                attempt += 1
                delay = self._delay(attempt, resp)
                resp.close()
                self._retry(attempt, status_line(resp), delay, method, url)
                continue
            if expected_status is None:
                return resp
            raise self.error_from_response(resp, action or method, attempts=attempt + 1)

    def error_from_response(self, resp, action: str, attempts: int = 1) -> AzureRestError:
        """Build the typed error for an unexpected response, with the explainer's diagnosis for 401/403."""
        try:
            text = resp.text
        except Exception:  # pragma: no cover - body already consumed or broken
            text = ""
        parsed = parse_error_body(text, resp.headers.get("Content-Type", ""))
        code = parsed.get("code") or resp.headers.get("x-ms-error-code")
        message = parsed.get("message") or ""
        msg = "%s: %s" % (action, status_line(resp))
        if code:
            msg += ", %s" % code
        if message:
            msg += ": %s" % message.strip().split("\n")[0]
        if attempts > 1:
            msg += " (after %d attempts)" % attempts
        details = {}
        if parsed.get("detail"):
            details["authentication_error_detail"] = parsed["detail"]
        if parsed.get("inner_code"):
            details["inner_error_code"] = parsed["inner_code"]
        if parsed.get("details"):
            details["error_details"] = parsed["details"]
        if resp.status_code in (401, 403) and self.explain is not None:
            extra_msg, extra = self.explain(resp, self.auth, parsed)
            if extra_msg:
                msg += "\n" + extra_msg
            details.update(extra)
        cls = error_class_for(resp.status_code)
        return cls(
            self.redactor.redact(msg),
            status=resp.status_code,
            error_code=code,
            request_id=resp.headers.get("x-ms-request-id"),
            client_request_id=resp.headers.get("x-ms-client-request-id")
            or (resp.request.headers.get("x-ms-client-request-id") if resp.request is not None else None),
            url=self.redactor.redact(resp.url or ""),
            body=self.redactor.redact(text) if text else None,
            details=self.redactor.redact(details),
        )
