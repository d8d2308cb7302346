# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""The 403 explainer: the server's string-to-sign beside ours, clock skew, wrong cloud, disabled shared key."""

from __future__ import annotations

import email.utils
import re
import time

from ._clouds import cloud_of_host

SKEW_WARN_SECONDS = 300

_SERVER_STS = [
    re.compile(r"Server used following string to sign: '(.*)'\.?\s*$", re.S),
    re.compile(r"String to sign used was (.*)$", re.S),
]

_LABELS_SHARED_KEY = [
    "VERB",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-MD5",
    "Content-Type",
    "Date",
    "If-Modified-Since",
    "If-Match",
    "If-None-Match",
    "If-Unmodified-Since",
    "Range",
]


def server_string_to_sign(detail: str | None) -> str | None:
    """Extract the server's string-to-sign from an AuthenticationErrorDetail text, or None."""
    if not detail:
        return None
    for pattern in _SERVER_STS:
        m = pattern.search(detail)
        if m:
            return m.group(1).replace("\\n", "\n")
    return None


def _label(index: int, line: str, scheme: str, after_resource: bool = False) -> str:
    """Name a string-to-sign line: a standard header, a canonical header, the resource, or a query parameter."""
    if scheme in ("SharedKey", "BatchSharedKey") and index < len(_LABELS_SHARED_KEY):
        return _LABELS_SHARED_KEY[index]
    if line.startswith("/"):
        return "canonicalized resource"
    if ":" in line:
        return ("query parameter " if after_resource else "header ") + line.split(":", 1)[0]
    return "line %d" % (index + 1)


def _labels(lines: list[str], scheme: str) -> list[str]:
    labels = []
    after = False
    for i, line in enumerate(lines):
        labels.append(_label(i, line, scheme, after))
        if line.startswith("/") and (scheme not in ("SharedKey", "BatchSharedKey") or i >= len(_LABELS_SHARED_KEY)):
            after = True
    return labels


def diff_strings_to_sign(server: str, ours: str, scheme: str = "SharedKey") -> dict:
    """Line-by-line comparison with ``\\n`` made visible; names the first differing line."""
    s_lines = server.split("\n")
    o_lines = ours.split("\n")
    rows = []
    first = None
    longer = o_lines if len(o_lines) >= len(s_lines) else s_lines
    labels = _labels(longer, scheme)
    for i in range(max(len(s_lines), len(o_lines))):
        s = s_lines[i] if i < len(s_lines) else "<missing>"
        o = o_lines[i] if i < len(o_lines) else "<missing>"
        same = s == o
        if not same and first is None:
            first = i
        rows.append("%s %2d %-22s server=%r ours=%r" % (" " if same else ">", i + 1, labels[i], s, o))
    result = {"server_string_to_sign": server, "client_string_to_sign": ours, "string_to_sign_diff": rows}
    if first is not None:
        lbl = labels[first]
        srv = s_lines[first] if first < len(s_lines) else "<missing>"
        cli = o_lines[first] if first < len(o_lines) else "<missing>"
        result["first_difference"] = "line %d (%s): server %r vs ours %r" % (first + 1, lbl, srv, cli)
    return result


def clock_skew(resp, now: float | None = None) -> float | None:
    """Seconds our clock is ahead (+) or behind (-) the server's Date header, or None."""
    date = resp.headers.get("Date")
    if not date:
        return None
    try:
        server = email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return (time.time() if now is None else now) - server


def _signature_lines(auth, scheme: str, detail: str, code: str, fields: dict) -> list[str]:
    """Shared Key signature mismatch: the string-to-sign diff when the server gave its own, else our string."""
    lines = []
    ours = getattr(auth, "last_string_to_sign", None)
    server = server_string_to_sign(detail)
    if server is not None and ours is not None:
        diff = diff_strings_to_sign(server, ours, scheme)
        fields.update(diff)
        if "first_difference" in diff:
            lines.append(
                "Signature mismatch: the server signed a different string than we did; first difference at "
                + diff["first_difference"]
                + "."
            )
            lines.append("Server string-to-sign vs ours (\\n shown as line breaks):")
            lines.extend(diff["string_to_sign_diff"])
        else:
            lines.append(
                "Signature mismatch: the server's string-to-sign equals ours, so the key is wrong: check the account key "
                "(key1/key2, not rotated) and that it belongs to account %r." % getattr(auth, "account", "?")
            )
    elif "MAC signature" in detail or code in ("AuthenticationFailed", "AuthorizationFailure") and ours is not None:
        lines.append(
            "Signature mismatch (the MAC signature in the request is not the one the server computed). Check the account "
            "key and account name; a proxy that rewrites URLs also breaks Shared Key."
        )
        if ours is not None:
            fields["client_string_to_sign"] = ours
            lines.append("Our string-to-sign was: %r" % ours)
    return lines


def _access_lines(code: str, detail: str) -> list[str]:
    """Shared Key disabled on the account; a SAS outside its validity window or with a bad signature."""
    lines = []
    if code == "KeyBasedAuthenticationNotPermitted":
        lines.append(
            "Shared Key access is disabled on this account (allowSharedKeyAccess=false): use Entra ID (storage_auth: entra "
            "with an Entra ID credential, for example AWX's Azure credential or auth_source: cli) or a user delegation "
            "SAS (the storage_sas lookup with sas_type: user_delegation)."
        )
    if "Signature not valid in the specified time frame" in detail:
        lines.append(
            "The SAS is outside its validity window (st/se) by the server's clock: backdate st by 15 minutes or renew the SAS."
        )
    if "Signature did not match" in detail or "Signature fields not well formed" in detail:
        lines.append("The SAS token's signature does not match: regenerate it, and keep it URL-encoded ('+' must stay %2B).")
    return lines


def _clock_lines(resp, detail: str, fields: dict) -> list[str]:
    """Clock skew against the server's Date header (recorded in ``fields``; explained when it matters)."""
    skew = clock_skew(resp)
    if skew is None:
        return []
    fields["clock_skew_seconds"] = round(skew, 1)
    if abs(skew) > SKEW_WARN_SECONDS or "Request date header too old" in detail:
        return [
            "The local clock is %.1f minutes %s the server's (Date header %s): Azure rejects requests more than 15 "
            "minutes old; sync the clock (NTP)."
            % (abs(skew) / 60.0, "ahead of" if skew > 0 else "behind", resp.headers.get("Date"))
        ]
    return []


def _cloud_lines(resp, auth, fields: dict) -> list[str]:
    """The endpoint belongs to another cloud than the credential."""
    host = (resp.url or "").split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    wrong_cloud = cloud_of_host(host)
    expected_cloud = getattr(auth, "cloud", None)
    if wrong_cloud and expected_cloud and wrong_cloud != expected_cloud:
        fields["endpoint_cloud"] = wrong_cloud
        return [
            "The endpoint %s belongs to %s but the credential is for %s: set cloud accordingly."
            % (host, wrong_cloud, expected_cloud)
        ]
    return []


def explain(resp, auth, parsed: dict):
    """Return ``(extra message, extra result fields)`` for a 401/403 response."""
    fields = {}
    scheme = getattr(auth, "scheme", getattr(auth, "name", "none"))
    detail = parsed.get("detail") or ""
    code = parsed.get("code") or resp.headers.get("x-ms-error-code") or ""
    lines = _signature_lines(auth, scheme, detail, code, fields)
    lines += _access_lines(code, detail)
    lines += _clock_lines(resp, detail, fields)
    lines += _cloud_lines(resp, auth, fields)
    hint = getattr(auth, "explain_hint", None)
    if callable(hint):
        extra = hint(resp, parsed)
        if extra:
            lines.append(extra)
    if resp.request is not None and resp.request.method == "HEAD" and not detail:
        lines.append("(HEAD responses carry no error body; repeat the call as a GET for the server's detail.)")
    return "\n".join(lines), fields
