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

import json
import time
import uuid
from urllib.parse import urlsplit
from collections.abc import Callable, Iterable

try:
    import requests

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - exercised only without requests
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = _exc

from ._auth.base import NoAuth
from ._defaults import RETRIES, TIMEOUT
from ._errors import AzureRestError, IntegrityError, TransportError, error_class_for, parse_error_body
from ._redact import Redactor
from ._retry import RetryPolicy, parse_retry_after  # noqa: F401  (parse_retry_after: part of this module's API)

USER_AGENT = "signet.azure/1.0.0 (+https://github.com/signet-azure/signet.azure)"
DEFAULT_TIMEOUT = TIMEOUT
DEFAULT_CONNECT_TIMEOUT = 10
#: At most this much of an error answer is read: a lying or broken server cannot make us hold a huge body.
ERROR_BODY_CAP = 64 * 1024


def status_line(resp) -> str:
    reason = getattr(resp, "reason", "") or ""
    return ("HTTP %s %s" % (resp.status_code, reason)).strip()


_DNS_FAILURE_MARKERS = (
    "NameResolutionError",
    "Failed to resolve",
    "Name or service not known",
    "getaddrinfo failed",
    "nodename nor servname",
    "Temporary failure in name resolution",
    "No address associated",
)


def _is_name_resolution_error(exc) -> bool:
    text = repr(exc)
    return any(marker in text for marker in _DNS_FAILURE_MARKERS)


def unresolvable_host_message(url: str) -> str:
    host = urlsplit(url).hostname or url
    return (
        "the host %s does not resolve (DNS): check account_name / batch_endpoint / vault_name, cloud and endpoint; "
        "the name does not exist in this cloud, or this machine's DNS cannot see it (private endpoint?)" % host
    )


def json_of(resp, action: str):
    """The JSON body of a success answer (``{}`` when empty); IntegrityError naming ``action`` when it is not JSON."""
    if not resp.content:
        return {}
    try:
        return resp.json()
    except ValueError:
        raise IntegrityError(
            "%s: the service answered %s with a body that is not JSON (%r...)" % (action, status_line(resp), resp.content[:80])
        ) from None


def read_capped(resp, cap: int = ERROR_BODY_CAP) -> str:
    """The body of an (error) answer as text, at most ``cap`` bytes of it; a body not read yet is read only that far."""
    try:
        if getattr(resp, "_content", None) is False:  # streamed and not read yet
            data = resp.raw.read(cap, decode_content=True) or b""
            resp._content, resp._content_consumed = data, True
            resp.close()
        data = (resp.content or b"")[:cap]
        return data.decode(resp.encoding or "utf-8", errors="replace")
    except Exception:  # a body cut off while being read: the status line still explains the failure
        return ""


class _Retry(Exception):
    """Internal: the attempt failed in a way that may be retried (``reason``, ``resp`` for a status)."""

    def __init__(self, reason: str, resp=None):
        super().__init__(reason)
        self.reason = reason
        self.resp = resp


class Transport:
    """Signed HTTP client.

    ``auth`` is an AuthBase with ``validate()`` (see _auth/). ``timeout`` is the read timeout in seconds,
    ``connect_timeout`` the connect timeout. ``retries`` is the number of retries after the first attempt (the
    policy is ``_retry.RetryPolicy``). ``on_retry(message)`` is called before each retry sleep (modules pass
    ``module.warn``). ``explain(resp, auth)`` returns extra text and fields for an authentication failure (see
    _explain.py).
    """

    def __init__(
        self,
        auth=None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        retries: int = RETRIES,
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
        self.policy = RetryPolicy(retries, backoff_factor, backoff_max)
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

    @property
    def retries(self) -> int:
        """Retries after the first attempt (a caller may set it to 0 around a call that must not repeat)."""
        return self.policy.retries

    @retries.setter
    def retries(self, value: int) -> None:
        self.policy.retries = max(0, int(value))

    # -- helpers -------------------------------------------------------------------------------------------------
    def _delay(self, attempt: int, resp=None) -> float:
        return self.policy.delay(attempt, resp.headers if resp is not None else None)

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

    def _fail(self, action: str, text: str, url: str) -> TransportError:
        return TransportError(self.redactor.redact("%s: %s" % (action, text)), url=self.redactor.redact(url))

    # -- one attempt ---------------------------------------------------------------------------------------------
    def _send_once(self, method: str, url: str, kwargs: dict, ctx: dict):
        """One attempt. Returns the response, raises ``_Retry`` for a retryable failure or TransportError."""
        attempts = ctx["attempt"] + 1
        may_retry = self.policy.can_retry(ctx["attempt"])
        try:
            resp = self.session.request(method, url, auth=self.auth, allow_redirects=False, **dict(kwargs, stream=True))
            if not kwargs["stream"] and ctx["will_return"](resp.status_code):
                resp.content  # noqa: B018 - read the body now, inside the retry handling (a cut-off read is retried)
            return resp
        except requests.exceptions.ConnectionError as exc:
            sent = not isinstance(exc, requests.exceptions.ConnectTimeout) and "NewConnectionError" not in repr(exc)
            if isinstance(exc, requests.exceptions.SSLError):
                raise self._fail(ctx["action"], "TLS error: %s" % exc, url) from None
            if _is_name_resolution_error(exc):
                # a wrong account name or cloud: retrying cannot help, and urllib3's text does not say what to fix
                raise self._fail(ctx["action"], unresolvable_host_message(url), url) from None
            if may_retry and (ctx["idempotent"] or not sent):
                raise _Retry("connection error (%s)" % type(exc).__name__) from None
            raise self._fail(ctx["action"], "connection failed after %d attempt(s): %s" % (attempts, exc), url) from None
        except requests.exceptions.Timeout as exc:
            if may_retry and ctx["idempotent"]:
                raise _Retry("timeout") from None
            raise self._fail(
                ctx["action"], "timed out after %d attempt(s) (timeout %s s): %s" % (attempts, kwargs["timeout"][1], exc), url
            ) from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            # the response was cut off or garbled while being read: a read error, retried for idempotent methods
            if may_retry and ctx["idempotent"]:
                raise _Retry("truncated response (%s)" % type(exc).__name__) from None
            raise self._fail(ctx["action"], "the response was cut off after %d attempt(s): %s" % (attempts, exc), url) from None
        except requests.exceptions.RequestException as exc:
            raise self._fail(ctx["action"], "request failed: %s" % exc, url) from None

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
            data = json.dumps(json_body).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        start_pos = self._rewind(data)
        kwargs = dict(
            params=params,
            headers=hdrs,
            data=data,
            timeout=self.timeout if timeout is None else (self.timeout[0], timeout),
            verify=self.verify,
            cert=self.client_cert,
            stream=stream,
        )
        ctx = {
            "attempt": 0,
            "action": action or method,
            "idempotent": self.policy.idempotent(method) or retry_non_idempotent,
            # a success is read whole; an error answer only up to ERROR_BODY_CAP (error_from_response)
            "will_return": lambda status: expected_status is None or status in expected_status,
        }
        while True:
            if start_pos is not None:
                data.seek(start_pos)
            try:
                resp = self._send_once(method, url, kwargs, ctx)
                return self._judge(resp, method, expected_status, retry_non_idempotent, ctx)
            except _Retry as retry:
                ctx["attempt"] += 1
                delay = self._delay(ctx["attempt"], retry.resp)
                if retry.resp is not None:
                    retry.resp.close()
                self._retry(ctx["attempt"], retry.reason, delay, method, url)

    def _judge(self, resp, method: str, expected_status, safe_to_repeat: bool, ctx: dict):
        """Return ``resp`` when it is the answer, raise ``_Retry`` to try again, or the typed error."""
        status = resp.status_code
        if expected_status is not None and status in expected_status:
            return resp
        if self.policy.retryable_status(method, status, safe_to_repeat) and self.policy.can_retry(ctx["attempt"]):
            raise _Retry(status_line(resp), resp)
        if expected_status is None:
            return resp
        raise self.error_from_response(resp, ctx["action"], attempts=ctx["attempt"] + 1)

    def error_from_response(self, resp, action: str, attempts: int = 1) -> AzureRestError:
        """Build the typed error for an unexpected response, with the explainer's diagnosis for 401/403."""
        text = read_capped(resp)
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
        error = cls(
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
        error.retry_after = parse_retry_after(resp.headers)  # for callers that re-send themselves (ARM PUT)
        return error
