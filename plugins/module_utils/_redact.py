# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Redaction of secrets from every string that may reach a user: messages, warnings, results, exceptions."""

from __future__ import annotations

import re

MASK = "********"

_PATTERNS = [
    # SAS signature and other secret query values
    (re.compile(r"(?i)([?&](?:sig|se?cret|code|client_secret|access_token|token)=)[^&#\s'\"]+"), r"\1" + MASK),
    # Authorization headers and schemes
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n,}]+"), r"\1" + MASK),
    (re.compile(r"(?i)\b(SharedKey(?:Lite)?\s+[^:\s]+:)[A-Za-z0-9+/=]+"), r"\1" + MASK),
    (re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9\-_.~+/]+=*"), r"\1" + MASK),
    # connection-string parts
    (re.compile(r"(?i)((?:AccountKey|SharedAccessSignature|SharedAccessKey)=)[^;'\"\s]+"), r"\1" + MASK),
    # JWTs anywhere
    (re.compile(r"\beyJ[A-Za-z0-9\-_]{8,}\.[A-Za-z0-9\-_]{8,}\.[A-Za-z0-9\-_]*"), MASK),
    # PEM private keys
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), MASK),
]


# Secret values that can ride inside options which are not secret themselves: a SAS signature in a URL or a header
# such as x-ms-copy-source, a key or SAS inside a connection string given in a free-form field.
_EMBEDDED = re.compile(r"(?i)(?:^|[?&;\s'\"])(?:sig|AccountKey|SharedAccessSignature|SharedAccessKey)=([^&#;\s'\"]+)")


def embedded_secrets(value):
    """Yield every SAS ``sig=`` or connection-string key value found in ``value`` (strings, dicts and lists walked),
    as written and URL-decoded."""
    from urllib.parse import unquote

    if isinstance(value, str):
        for match in _EMBEDDED.finditer(value):
            yield match.group(1)
            yield unquote(match.group(1))
    elif isinstance(value, dict):
        for item in value.values():
            yield from embedded_secrets(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from embedded_secrets(item)


class Redactor:
    """Removes registered secret values and well-known secret shapes from text.

    ``add(value)`` registers a secret (and its URL-encoded form); ``redact(obj)`` returns a copy of a string,
    list or dict with every occurrence replaced by ``********``.
    """

    def __init__(self, secrets=()):
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, value) -> None:
        """Register a secret value. Values shorter than 4 characters are ignored (they would mask too much)."""
        if value is None:
            return
        value = str(value)
        if len(value) < 4:
            return
        from urllib.parse import quote

        self._secrets.add(value)
        self._secrets.add(quote(value, safe=""))
        self._secrets.add(quote(value, safe="/"))

    @property
    def secrets(self) -> frozenset:
        return frozenset(self._secrets)

    def redact(self, obj):
        """Return ``obj`` with secrets masked; strings, lists, tuples and dicts are walked recursively."""
        if isinstance(obj, str):
            text = obj
            for secret in sorted(self._secrets, key=len, reverse=True):
                if secret in text:
                    text = text.replace(secret, MASK)
            for pattern, repl in _PATTERNS:
                text = pattern.sub(repl, text)
            return text
        if isinstance(obj, dict):
            return {k: self.redact(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.redact(v) for v in obj)
        return obj


def redact_url(url: str) -> str:
    """Mask the secret parts of a URL's query (sig and friends) without needing a Redactor."""
    return Redactor().redact(url)
