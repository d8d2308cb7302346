# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Storage connection settings: account name and key, connection strings, SAS, endpoints per cloud, emulators.

Which auth scheme signs with these settings is decided in ``_auth/resolve.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .._clouds import cloud
from .._defaults import STORAGE_API_VERSION
from .._errors import ConfigError
from .._signing.storage import decode_account_key
from .common import ACCOUNT_NAME_RE

DEFAULT_STORAGE_API_VERSION = STORAGE_API_VERSION
DEV_ACCOUNT = "devstoreaccount1"
# The storage emulator's published, well-known development key (not a secret).
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEV_PORTS = {"blob": 10000, "queue": 10001, "table": 10002}
SERVICES = ("blob", "queue", "table", "file", "dfs")


def parse_connection_string(text: str) -> dict[str, str]:
    """Parse ``Key=Value;...`` (values may contain '='). Keys are case-insensitive; ConfigError on a malformed part."""
    out: dict[str, str] = {}
    for part in (text or "").strip().strip(";").split(";"):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ConfigError(
                "connection_string: the part %r is not Key=Value; copy the whole connection string from the portal"
                % part.split("=")[0][:20]
            )
        key, _sep, value = part.partition("=")
        out[key.strip().lower()] = value.strip()
    return out


@dataclass
class StorageSettings:
    """Resolved storage connection settings. ``endpoints`` maps service name to base URL (no trailing slash)."""

    account: str
    key: str | None = None
    sas_token: str | None = None
    cloud: str = "AzureCloud"
    api_version: str = DEFAULT_STORAGE_API_VERSION
    endpoints: dict = field(default_factory=dict)
    emulator: bool = False

    def service_url(self, service: str = "blob") -> str:
        if service in self.endpoints:
            return self.endpoints[service].rstrip("/")
        if self.emulator:
            raise ConfigError("endpoint: the emulator settings have no %s endpoint" % service)
        return "https://%s.%s.%s" % (self.account, service, cloud(self.cloud)["storage_suffix"])


def _validate_account(name: str, emulator: bool) -> None:
    if not ACCOUNT_NAME_RE.match(name or ""):
        raise ConfigError("account_name: %r is not a valid storage account name: use 3-24 lowercase letters and digits" % (name,))


def _account_from_endpoint(url: str) -> tuple[str | None, bool]:
    """The account implied by an endpoint URL: host-style (acct.blob...) or path-style (http://127.0.0.1:10000/acct)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if re.match(r"^\d+\.\d+\.\d+\.\d+$", host) or host in ("localhost", "[::1]", "::1") or ".blob.localhost" in host:
        segs = [s for s in parts.path.split("/") if s]
        return (segs[0] if segs else None), True
    return (host.split(".")[0] or None), False


def _from_connection_string(cs: dict) -> dict:
    """Account, key, SAS, endpoints and emulator flag named by a parsed connection string."""
    found = {"account": None, "key": None, "sas": None, "endpoints": {}, "emulator": False}
    if cs.get("usedevelopmentstorage", "").lower() == "true":
        proxy = cs.get("developmentstorageproxyuri", "http://127.0.0.1").rstrip("/")
        found.update(account=DEV_ACCOUNT, key=DEV_KEY, emulator=True)
        for svc, port in DEV_PORTS.items():
            found["endpoints"][svc] = "%s:%d/%s" % (proxy, port, DEV_ACCOUNT)
        return found
    found.update(account=cs.get("accountname"), key=cs.get("accountkey"), sas=cs.get("sharedaccesssignature"))
    protocol = cs.get("defaultendpointsprotocol", "https")
    suffix = cs.get("endpointsuffix")
    for svc in SERVICES:
        explicit = cs.get(svc + "endpoint")
        if explicit:
            found["endpoints"][svc] = explicit.rstrip("/")
        elif suffix and found["account"]:
            found["endpoints"][svc] = "%s://%s.%s.%s" % (protocol, found["account"], svc, suffix)
    if not found["account"] and found["endpoints"]:
        found["account"], found["emulator"] = _account_from_endpoint(next(iter(found["endpoints"].values())))
    if not (found["key"] or found["sas"]):
        raise ConfigError(
            "connection_string: it has neither AccountKey nor SharedAccessSignature; copy the full connection string"
        )
    return found


def _apply_endpoint(found: dict, endpoint: str) -> None:
    """Apply the ``endpoint`` option (blob endpoint; path-style URLs name an emulator account) to ``found``."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("endpoint: %r is not an http(s) URL, e.g. http://127.0.0.1:10000/devstoreaccount1" % endpoint)
    implied, is_emulator = _account_from_endpoint(endpoint)
    found["endpoints"]["blob"] = endpoint.rstrip("/")
    found["emulator"] = found["emulator"] or is_emulator
    found["account"] = found["account"] or implied
    if is_emulator and implied and found["account"] != implied:
        raise ConfigError(
            "endpoint: the path-style endpoint names account %r but account_name is %r" % (implied, found["account"])
        )


def resolve(params: dict, require_credential: bool = True) -> StorageSettings:
    """Resolve the storage family's options (see doc fragment ``storage_auth``) into StorageSettings.

    Order: connection_string first (its AccountName/AccountKey/SAS/endpoints), then explicit options override
    single fields. ``require_credential=False`` accepts settings with neither key nor SAS (anonymous reads).
    Raises ConfigError naming the option and the fix.
    """
    cs_text = params.get("connection_string")
    cs = parse_connection_string(cs_text) if cs_text else {}
    cloud_name = cloud(params.get("cloud"))["name"]
    found = _from_connection_string(cs) if cs else {"account": None, "key": None, "sas": None, "endpoints": {}, "emulator": False}
    for option, field_name in (("account_name", "account"), ("account_key", "key"), ("sas_token", "sas")):
        if params.get(option):
            found[field_name] = params[option]
    if params.get("endpoint"):
        _apply_endpoint(found, params["endpoint"])
    account, key, sas = found["account"], found["key"], found["sas"]
    if not account:
        raise ConfigError(
            "no storage account given: set account_name (or env AZURE_STORAGE_ACCOUNT), or connection_string "
            "(env AZURE_STORAGE_CONNECTION_STRING)"
        )
    _validate_account(account, found["emulator"])
    if key:
        try:
            decode_account_key(key)
        except ValueError as exc:
            raise ConfigError("account_key: %s" % exc) from None
    if sas:
        sas = sas.strip().lstrip("?")
    if not key and not sas and require_credential:
        raise ConfigError(
            "no storage credential given: set account_key (env AZURE_STORAGE_KEY), sas_token (env AZURE_STORAGE_SAS_TOKEN) "
            "or connection_string (env AZURE_STORAGE_CONNECTION_STRING)"
        )
    return StorageSettings(
        account=account,
        key=key,
        sas_token=sas,
        cloud=cloud_name,
        api_version=params.get("storage_api_version") or DEFAULT_STORAGE_API_VERSION,
        endpoints=found["endpoints"],
        emulator=found["emulator"],
    )
