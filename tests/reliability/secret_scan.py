# SPDX-License-Identifier: GPL-3.0-or-later
"""The secret scan: look for every secret the test session used in every output it kept.

Secrets come from the Azurite well-known key, every ``twin.json`` of the session (fields named like secrets,
passwords and keys, and the base64 body of every PEM private key file it points to), and the secrets the
reliability tests registered (``_support.remember_secret``: SAS signatures, minted tokens, PFX passwords, Key Vault
secret values, ...). Besides exact values (and their URL-encoded and JSON-escaped forms) the scan flags shapes that
must never be printed unmasked: PEM private keys, ``sig=`` values, ``SharedKey account:signature``, ``Bearer`` tokens,
JWTs and ``AccountKey=`` parts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
MIN_LEN = 8
_SECRETISH = re.compile(r"(secret|password|passwd|pwd|_key$|^key$|token|identity_header|sig$)", re.I)
_NOT_SECRET = re.compile(
    r"(_file$|_path$|_bits$|key_name|key_vault|thumbprint|_id$|_url$|endpoint|issuer|subject|audience|scope)", re.I
)
_PEM_KEY = re.compile(rb"-----BEGIN ([A-Z ]*)PRIVATE KEY-----(.*?)-----END \1PRIVATE KEY-----", re.S)

PATTERNS = {
    "PEM private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "unmasked sig=": re.compile(r"(?<![A-Za-z0-9_])sig(?:=|%3D)(?!\*{8}|%2A|VALUE_SPECIFIED)[A-Za-z0-9%+/]{16,}"),
    "SharedKey signature": re.compile(r"SharedKey(?:Lite)? [A-Za-z0-9]+:(?!\*)[A-Za-z0-9+/]{20,}=*"),
    "Bearer token": re.compile(r"Bearer (?!\*|REDACTED)[A-Za-z0-9\-_.~+/]{20,}"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9\-_]{10,}\.eyJ[A-Za-z0-9\-_]{10,}\.[A-Za-z0-9\-_]{10,}"),
    "AccountKey=": re.compile(r"AccountKey=(?!\*)[A-Za-z0-9+/]{20,}"),
}


def _walk(obj, key: str = ""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, str(k))
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v, key)
    else:
        yield key, obj


def pem_key_fragments(data: bytes) -> list[str]:
    """Distinctive pieces (base64 lines) of every PEM private key in ``data``."""
    out = []
    for match in _PEM_KEY.finditer(data):
        lines = [ln.strip() for ln in match.group(2).decode("ascii", "replace").splitlines() if len(ln.strip()) >= 40]
        out.extend(lines[1:3] or lines[:1])
    return out


def twin_secrets(twin_json: Path) -> list[str]:
    """Secrets of one twin: secret-looking fields of twin.json and the private keys in its state dir."""
    try:
        info = json.loads(Path(twin_json).read_text())
    except (OSError, ValueError):
        return []
    found = []
    for key, value in _walk(info):
        if isinstance(value, str) and _SECRETISH.search(key) and not _NOT_SECRET.search(key) and len(value) >= MIN_LEN:
            found.append(value)
    for f in Path(twin_json).parent.iterdir():
        if f.suffix in (".pem", ".key") and f.is_file():
            try:
                found.extend(pem_key_fragments(f.read_bytes()))
            except OSError:
                pass
    return found


def variants(secret: str) -> set[str]:
    out = {secret, quote(secret, safe=""), quote(secret, safe="/"), json.dumps(secret)[1:-1]}
    return {v for v in out if len(v) >= MIN_LEN}


def scan_text(text: str, secrets: dict[str, set[str]]) -> list[str]:
    """Hits in one text: ``secret <label>`` for exact values, or the pattern name."""
    hits = []
    for label, forms in secrets.items():
        if any(form in text for form in forms):
            hits.append("secret %s" % label)
    for name, pattern in PATTERNS.items():
        m = pattern.search(text)
        if m:
            hits.append("%s (%s...)" % (name, m.group(0)[:18]))
    return hits


def scan_files(files: list[Path], secrets: list[str]) -> list[str]:
    """``["<file>: <hit>", ...]``. Secret values are never printed: each is labelled by its first 4 characters."""
    table = {}
    for s in secrets:
        if s and len(s) >= MIN_LEN:
            table.setdefault("%s...(%d chars)" % (s[:4], len(s)), set()).update(variants(s))
    hits = []
    for f in files:
        try:
            text = Path(f).read_text(errors="replace")
        except OSError:
            continue
        hits.extend("%s: %s" % (f, h) for h in scan_text(text, table))
    return hits
