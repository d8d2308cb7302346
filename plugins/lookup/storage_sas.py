# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: storage_sas
short_description: Generate a Blob service SAS (container or blob) or an account SAS URL
version_added: 1.0.0
description:
  - Signs a shared access signature locally with the account key; no request is sent.
  - Least privilege by default. A service SAS for a container (O(container)) or a blob (O(container) and
    O(blob)), read-only (V(r)), HTTPS-only, valid for one hour. An account SAS (O(sas_type=account)) is for the
    Blob service, on containers and objects.
  - The result is a secret. Lookups cannot set C(no_log) themselves. Set C(no_log=true) on every task that
    uses it (including C(set_fact)), and never print it.
extends_documentation_fragment:
  - signet.azure.storage_auth.account
  - signet.azure.storage_auth.plugins
options:
  sas_type:
    description: V(service) signs for one container or blob; V(account) for the whole Blob service of the account.
    type: str
    default: service
    choices: [service, account]
  container:
    description: The container (required for O(sas_type=service)).
    type: str
  blob:
    description: The blob, for a blob SAS. Without it, the SAS is for the container.
    type: str
  snapshot:
    description: With O(blob), limit the SAS to this snapshot.
    type: str
  permissions:
    description:
      - Permission letters, put in the service's canonical order. Blob SAS C(racwdxytmei), container SAS
        C(racwdxyltfmeop), account SAS C(rwdxylacupitfo); for example V(r) to read, V(rl) to read and list, V(cw) to upload.
    type: str
    default: r
  expiry:
    description:
      - When the SAS expires. Either relative to now (V(30m), V(1h), V(2d), V(3600s)) or an absolute UTC time
        (V(2026-12-31T23:59:59Z)). A warning is printed beyond 7 days.
    type: str
    default: 1h
  start:
    description:
      - When the SAS becomes valid, relative (V(-15m)) or absolute. Omitted by default, so a client whose clock is
        a little behind can still use it.
    type: str
  ip:
    description: Allowed client IP address or range, for example V(168.1.5.60-168.1.5.70).
    type: str
  protocol:
    description: V(https) only, or V(https,http) (needed for a local emulator on plain HTTP).
    type: str
    default: https
    choices: [https, "https,http"]
  services:
    description: Account SAS services (letters of C(bqtf)).
    type: str
    default: b
  resource_types:
    description: Account SAS resource types, letters of C(s) (service), C(c) (container), C(o) (object).
    type: str
    default: co
  output:
    description: V(url) returns the resource URL with the token; V(token) returns only the token (no leading C(?)).
    type: str
    default: url
    choices: [url, token]
notes:
  - Signed version (C(sv)) 2022-11-02. The signature covers the logical (unencoded) names; the URL carries them
    percent-encoded once.
seealso:
  - module: signet.azure.storage_blob_download
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: A read-only link to one blob, valid for 30 minutes
  ansible.builtin.set_fact:
    report_url: "{{ lookup('signet.azure.storage_sas', account_name='mystorage', account_key=storage_key,
                    container='reports', blob='2026/q4.pdf', expiry='30m') }}"
  no_log: true

- name: An upload-only token for a container, from a connection string, limited to one IP
  ansible.builtin.set_fact:
    upload_sas: "{{ lookup('signet.azure.storage_sas', connection_string=storage_connection_string,
                    container='incoming', permissions='cw', ip='203.0.113.7', output='token') }}"
  no_log: true

- name: An account SAS to list containers and read blobs
  ansible.builtin.set_fact:
    account_sas: "{{ lookup('signet.azure.storage_sas', account_name='mystorage', account_key=storage_key,
                     sas_type='account', resource_types='sco', permissions='rl', output='token') }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: One element, the SAS URL (or token with O(output=token)). Treat it as a secret.
  type: list
  elements: str
  sample:
    - https://mystorage.blob.core.windows.net/reports/2026/q4.pdf?sv=2022-11-02&se=2026-12-02T05%3A00%3A00Z&sr=b&sp=r&spr=https&sig=...
"""

import datetime as dt  # noqa: E402
import re  # noqa: E402

from ansible.errors import AnsibleError  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402
from ansible.utils.display import Display  # noqa: E402

from ansible_collections.signet.azure.plugins.module_utils._clients.blob_wire import (  # noqa: E402
    blob_path,
    container_path,
    validate_blob_name,
    validate_container_name,
)
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError  # noqa: E402
from ansible_collections.signet.azure.plugins.module_utils._signing import sas as sas_signing  # noqa: E402
from ansible_collections.signet.azure.plugins.module_utils._settings.storage import resolve  # noqa: E402

display = Display()
_RELATIVE = re.compile(r"^([+-]?)(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_when(value: str, option: str, now: dt.datetime) -> dt.datetime:
    """A relative duration (``30m``, ``-15m``) from ``now`` or an absolute ISO 8601 time, as an aware UTC datetime."""
    text = str(value).strip()
    m = _RELATIVE.match(text)
    if m:
        seconds = int(m.group(2)) * _UNITS[m.group(3)]
        return now + dt.timedelta(seconds=-seconds if m.group(1) == "-" else seconds)
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            "%s: %r is neither a duration like 30m, 1h, 2d nor an ISO 8601 time like 2026-12-31T23:59:59Z" % (option, value)
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)


def _letters(opts: dict, option: str, default: str, allowed: str, what: str) -> str:
    """The letter option ``option`` in canonical order; ConfigError naming that option for a bad letter."""
    try:
        return sas_signing.normalize_permissions(opts.get(option) or default, allowed, what)
    except ValueError as exc:
        raise ConfigError("%s: %s" % (option, exc)) from None


def _check_letters(opts: dict) -> None:
    """Check every letter option before signing, so an error names the option that is wrong."""
    if (opts.get("sas_type") or "service") == "account":
        _letters(opts, "permissions", "r", sas_signing.ACCOUNT_PERMISSIONS, "account SAS")
        _letters(opts, "services", "b", sas_signing.ACCOUNT_SERVICES, "account SAS service")
        _letters(opts, "resource_types", "co", sas_signing.ACCOUNT_RESOURCE_TYPES, "account SAS resource type")
    else:
        allowed = sas_signing.BLOB_PERMISSIONS if opts.get("blob") else sas_signing.CONTAINER_PERMISSIONS
        _letters(opts, "permissions", "r", allowed, "SAS")


def generate(opts: dict, now: dt.datetime | None = None) -> str:
    """Build the SAS URL or token from the lookup options. Raises ConfigError."""
    now = now or dt.datetime.now(dt.timezone.utc)
    settings = resolve({k: opts.get(k) for k in ("account_name", "account_key", "connection_string", "endpoint", "cloud")})
    if not settings.key:
        raise ConfigError(
            "storage_sas: signing a SAS needs the account key: set account_key or a connection string with AccountKey"
        )
    expiry = parse_when(opts.get("expiry") or "1h", "expiry", now)
    start = parse_when(opts["start"], "start", now) if opts.get("start") else None
    if expiry <= now:
        raise ConfigError("expiry: %s is in the past" % sas_signing.format_time(expiry))
    if start and start >= expiry:
        raise ConfigError("start: the start time is not before the expiry")
    if expiry - now > dt.timedelta(days=7):
        display.warning("storage_sas: the SAS is valid for more than 7 days; prefer short-lived SAS (or a stored access policy)")
    protocol = opts.get("protocol") or "https"
    _check_letters(opts)
    base = settings.service_url("blob")
    try:
        if (opts.get("sas_type") or "service") == "account":
            token = sas_signing.account_sas(
                settings.account,
                settings.key,
                opts.get("permissions") or "r",
                opts.get("services") or "b",
                opts.get("resource_types") or "co",
                expiry,
                start=start,
                ip=opts.get("ip") or "",
                protocol=protocol,
            )
            url = base + "/"
        else:
            container = opts.get("container")
            if not container:
                raise ConfigError("container: a service SAS needs the container (or use sas_type=account)")
            validate_container_name(container)
            blob = opts.get("blob")
            if blob:
                validate_blob_name(blob, "blob")
            if opts.get("snapshot") and not blob:
                raise ConfigError("snapshot: a snapshot SAS needs the blob")
            token = sas_signing.service_sas(
                settings.account,
                settings.key,
                container,
                blob,
                opts.get("permissions") or "r",
                expiry,
                start=start,
                ip=opts.get("ip") or "",
                protocol=protocol,
                snapshot=opts.get("snapshot") or "",
            )
            url = base + (blob_path(container, blob) if blob else container_path(container))
    except ValueError as exc:  # pragma: no cover - every letter option is checked by _letters() first
        raise ConfigError("storage_sas: %s" % exc) from None
    if (opts.get("output") or "url") == "token":
        return token
    if opts.get("snapshot"):
        from urllib.parse import quote

        return "%s?snapshot=%s&%s" % (url, quote(opts["snapshot"], safe=""), token)
    return "%s?%s" % (url, token)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        names = (
            "account_name",
            "account_key",
            "connection_string",
            "endpoint",
            "cloud",
            "sas_type",
            "container",
            "blob",
            "snapshot",
            "permissions",
            "expiry",
            "start",
            "ip",
            "protocol",
            "services",
            "resource_types",
            "output",
        )
        opts = {n: self.get_option(n) for n in names}
        try:
            return [generate(opts)]
        except ConfigError as exc:
            raise AnsibleError("storage_sas: %s" % exc.msg) from None
