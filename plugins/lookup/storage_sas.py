# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: storage_sas
short_description: Generate a Blob service SAS, a user delegation SAS or an account SAS URL
version_added: 1.0.0
description:
  - Signs a shared access signature for a container or a blob, or an account SAS.
  - With the account key, the SAS is signed locally and no request is sent. That is a service SAS (optionally bound
    to a stored access policy of the container, O(policy_id)) or an account SAS (O(sas_type=account)).
  - With Entra ID (O(storage_auth=entra), or O(sas_type=user_delegation), or V(auto) when an Entra ID credential is
    given and no account key), it is a B(user delegation SAS). The lookup asks the Blob service for a user
    delegation key (Get User Delegation Key, one HTTPS request with a bearer token) and signs with it. No account
    key is needed, so it works on accounts with Shared Key disabled. The identity needs a role with the
    C(generateUserDelegationKey) action on the account, such as C(Storage Blob Delegator), C(Storage Blob Data
    Reader) or C(Storage Blob Data Contributor). What the SAS allows is also limited by the identity's own data
    roles. Every Entra ID credential kind of the modules works, as does AWX's Azure credential through the
    environment.
  - Least privilege by default. Read-only (V(r)), HTTPS-only, valid for one hour.
  - The result is a secret. Lookups cannot set C(no_log) themselves. Set C(no_log=true) on every task that
    uses it (including C(set_fact)), and never print it.
extends_documentation_fragment:
  - signet.azure.storage_auth.account
  - signet.azure.storage_auth.plugins
  - signet.azure.entra_auth
  - signet.azure.entra_auth.plugins
  - signet.azure.connection
  - signet.azure.connection.plugins
options:
  sas_type:
    description:
      - V(service) signs for one container or blob, with the account key, or as a user delegation SAS when
        O(storage_auth) selects Entra ID.
      - V(user_delegation) always makes a user delegation SAS (Entra ID).
      - V(account) signs for the whole Blob service of the account (account key only).
    type: str
    default: service
    choices: [service, user_delegation, account]
  storage_auth:
    description:
      - How the SAS is signed. V(shared_key) uses the account key. V(entra) gets a user delegation key with an
        Entra ID token. V(auto) uses the account key when one is known, else Entra ID when an Entra ID credential
        is given.
    type: str
    default: auto
    choices: [auto, shared_key, entra]
  container:
    description: The container (required unless O(sas_type=account)).
    type: str
  blob:
    description: The blob, for a blob SAS. Without it, the SAS is for the container.
    type: str
  snapshot:
    description: With O(blob), limit the SAS to this snapshot.
    type: str
  policy_id:
    description:
      - The identifier of a stored access policy of the container (C(si)). The SAS then takes what the policy sets,
        and can be revoked by changing or deleting the policy.
      - Needs the account key (a user delegation SAS cannot use a stored access policy). O(permissions),
        O(expiry) and O(start) are put in the SAS only when given. A field may be set in the policy or in the SAS,
        not in both.
    type: str
  permissions:
    description:
      - Permission letters, put in the service's canonical order. Blob SAS C(racwdxytmei), container SAS
        C(racwdxyltfmeop), account SAS C(rwdxylacupitfo); for example V(r) to read, V(rl) to read and list, V(cw) to upload.
      - Defaults to V(r), or to none with O(policy_id) (the policy's).
    type: str
  expiry:
    description:
      - When the SAS expires. Either relative to now (V(30m), V(1h), V(2d), V(3600s)) or an absolute UTC time
        (V(2026-12-31T23:59:59Z)). A warning is printed beyond 7 days; a user delegation SAS can last 7 days at most.
      - Defaults to V(1h), or to none with O(policy_id) (the policy's).
    type: str
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
  - A user delegation SAS needs an HTTPS blob endpoint (bearer tokens are never sent over plain HTTP) and the
    C(msal) Python library on the controller for the Entra ID credential kinds other than O(access_token) and
    O(auth_source=cli).
  - The Entra ID options read their environment variables as the modules do. The first non-empty variable wins,
    and an empty one counts as unset.
seealso:
  - module: signet.azure.storage_blob_download
  - name: Create a user delegation SAS
    description: Microsoft's reference of the user delegation SAS fields (skoid, sktid, skt, ske, sks, skv).
    link: https://learn.microsoft.com/rest/api/storageservices/create-user-delegation-sas
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

- name: A user delegation SAS signed through Entra ID (AWX's Azure credential in the environment), no account key
  ansible.builtin.set_fact:
    report_url: "{{ lookup('signet.azure.storage_sas', account_name='mystorage', sas_type='user_delegation',
                    container='reports', blob='2026/q4.pdf', expiry='2h') }}"
  no_log: true

- name: A user delegation SAS for a container, with the Azure CLI's sign-in, to read and list
  ansible.builtin.set_fact:
    listing_sas: "{{ lookup('signet.azure.storage_sas', account_name='mystorage', storage_auth='entra',
                     auth_source='cli', container='reports', permissions='rl', output='token') }}"
  no_log: true

- name: A revocable SAS bound to the container's stored access policy "readers" (permissions and expiry from it)
  ansible.builtin.set_fact:
    policy_sas: "{{ lookup('signet.azure.storage_sas', account_name='mystorage', account_key=storage_key,
                    container='reports', policy_id='readers', output='token') }}"
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
import os  # noqa: E402
import re  # noqa: E402

from ansible.errors import AnsibleError  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402
from ansible.utils.display import Display  # noqa: E402

from ansible_collections.signet.azure.plugins.module_utils._argspec import FAMILIES, connection_spec  # noqa: E402
from ansible_collections.signet.azure.plugins.module_utils._clients.blob_wire import (  # noqa: E402
    blob_path,
    container_path,
    validate_blob_name,
    validate_container_name,
)
from ansible_collections.signet.azure.plugins.module_utils._errors import AzureRestError, ConfigError  # noqa: E402
from ansible_collections.signet.azure.plugins.module_utils._redact import Redactor  # noqa: E402
from ansible_collections.signet.azure.plugins.module_utils._settings.auth_source import resolve_source  # noqa: E402
from ansible_collections.signet.azure.plugins.module_utils._settings.storage import resolve  # noqa: E402
from ansible_collections.signet.azure.plugins.module_utils._signing import sas as sas_signing  # noqa: E402

display = Display()
_RELATIVE = re.compile(r"^([+-]?)(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: A user delegation key, and so a user delegation SAS, is valid for at most seven days ("Get User Delegation Key").
MAX_DELEGATION = dt.timedelta(days=7)
#: The user delegation key starts this long before now (or before ``start``), for clocks a little ahead of Azure's.
KEY_BACKDATE = dt.timedelta(minutes=15)
ACCOUNT_OPTIONS = ("account_name", "account_key", "connection_string", "endpoint", "cloud")
ENTRA_OPTIONS = (
    "tenant_id",
    "client_id",
    "client_secret",
    "client_certificate_path",
    "client_certificate_content",
    "client_certificate_password",
    "federated_token_file",
    "managed_identity",
    "access_token",
    "authority_host",
    "cloud_endpoints",
    "auth_source",
    "profile",
    "subscription_id",
)
CONNECTION_OPTIONS = ("timeout", "retries", "validate_certs", "ca_bundle")
SAS_OPTIONS = (
    "sas_type",
    "storage_auth",
    "container",
    "blob",
    "snapshot",
    "policy_id",
    "permissions",
    "expiry",
    "start",
    "ip",
    "protocol",
    "services",
    "resource_types",
    "output",
)
PATH_OPTIONS = ("client_certificate_path", "federated_token_file", "ca_bundle")


def env_names() -> dict:
    """Option -> its environment variables, in precedence order: the modules' fallbacks (``_argspec``)."""
    specs = dict(FAMILIES["storage"]().argument_spec, **connection_spec().argument_spec)
    return {name: spec["fallback"][1] for name, spec in specs.items() if spec.get("fallback")}


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
    elif opts.get("permissions") or not opts.get("policy_id"):
        allowed = sas_signing.BLOB_PERMISSIONS if opts.get("blob") else sas_signing.CONTAINER_PERMISSIONS
        _letters(opts, "permissions", "r", allowed, "SAS")


def _times(opts: dict, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``(start, expiry)``: expiry defaults to one hour, except with a stored access policy (which may give it)."""
    expiry_text = opts.get("expiry") or (None if opts.get("policy_id") else "1h")
    expiry = parse_when(expiry_text, "expiry", now) if expiry_text else None
    start = parse_when(opts["start"], "start", now) if opts.get("start") else None
    if expiry is not None and expiry <= now:
        raise ConfigError("expiry: %s is in the past" % sas_signing.format_time(expiry))
    if start and expiry and start >= expiry:
        raise ConfigError("start: the start time is not before the expiry")
    if expiry is not None and expiry - now > MAX_DELEGATION:
        display.warning("storage_sas: the SAS is valid for more than 7 days; prefer short-lived SAS (or a stored access policy)")
    return start, expiry


def signing_mode(opts: dict, settings) -> str:
    """``key`` (service or account SAS, signed with the account key) or ``user_delegation`` (Entra ID)."""
    sas_type = opts.get("sas_type") or "service"
    auth = opts.get("storage_auth") or "auto"
    if sas_type == "account":
        if auth == "entra":
            raise ConfigError(
                "storage_auth: an account SAS is signed with the account key; with Entra ID use sas_type=service or "
                "user_delegation (a user delegation SAS for a container or a blob)"
            )
        return "key"
    if sas_type == "user_delegation" or auth == "entra":
        return "user_delegation"
    if auth == "auto" and not settings.key and resolve_source(opts).has_credential:
        return "user_delegation"
    return "key"


class _Host:
    """What ``_auth/resolve`` needs of a module (``params``, ``register_secret``, ``warn``), for the lookup: secrets
    go to a Redactor that cleans every message and warning."""

    def __init__(self, params: dict):
        self.params = params
        self.redactor = Redactor()

    def register_secret(self, value) -> None:
        self.redactor.add(value)

    def warn(self, text: str) -> None:
        display.warning(self.redactor.redact(text))


def fetch_delegation_key(opts: dict, start: dt.datetime | None, expiry: dt.datetime, now: dt.datetime) -> dict:
    """Get a user delegation key valid from a little before ``start`` (or now) until ``expiry``, with an Entra ID
    token for storage (every credential kind and auth_source of the modules). Raises AzureRestError subclasses."""
    from ansible_collections.signet.azure.plugins.module_utils._auth import resolve as auth_resolve
    from ansible_collections.signet.azure.plugins.module_utils._clients.user_delegation import get_user_delegation_key
    from ansible_collections.signet.azure.plugins.module_utils._explain import explain
    from ansible_collections.signet.azure.plugins.module_utils._transport import Transport

    host = _Host(dict(opts, storage_auth="entra", sas_token=None))
    scheme, settings = auth_resolve.storage(host, "entra", "blob")
    transport = Transport(
        scheme,
        timeout=opts.get("timeout") or 60,
        retries=opts["retries"] if opts.get("retries") is not None else 3,
        validate_certs=opts.get("validate_certs") is not False,
        ca_bundle=opts.get("ca_bundle"),
        redactor=host.redactor,
        on_retry=host.warn,
        explain=explain,
    )
    key_start = min(start or now, now) - KEY_BACKDATE
    try:
        key = get_user_delegation_key(
            transport, settings.service_url("blob"), sas_signing.format_time(key_start), sas_signing.format_time(expiry)
        )
    finally:
        transport.session.close()
    host.register_secret(key["value"])
    return key


def _service_token(opts: dict, settings, mode: str, times, now, delegation_key) -> str:
    """The token of a container or blob SAS: service SAS (account key) or user delegation SAS."""
    start, expiry = times
    container, blob = opts.get("container"), opts.get("blob")
    if not container:
        raise ConfigError("container: a service or user delegation SAS needs the container (or use sas_type=account)")
    validate_container_name(container)
    if blob:
        validate_blob_name(blob, "blob")
    if opts.get("snapshot") and not blob:
        raise ConfigError("snapshot: a snapshot SAS needs the blob")
    common = dict(
        start=start, ip=opts.get("ip") or "", protocol=opts.get("protocol") or "https", snapshot=opts.get("snapshot") or ""
    )
    if mode == "user_delegation":
        if opts.get("policy_id"):
            raise ConfigError(
                "policy_id: a user delegation SAS cannot use a stored access policy; sign with the account key "
                "(storage_auth=shared_key) or drop policy_id"
            )
        if expiry - now > MAX_DELEGATION:
            raise ConfigError("expiry: a user delegation SAS is valid for at most 7 days (its user delegation key's limit)")
        key = delegation_key(opts, start, expiry, now)
        return sas_signing.user_delegation_sas(
            settings.account, key, container, blob, opts.get("permissions") or "r", expiry, **common
        )
    permissions = opts.get("permissions") or ("" if opts.get("policy_id") else "r")
    return sas_signing.service_sas(
        settings.account, settings.key, container, blob, permissions, expiry, identifier=opts.get("policy_id") or "", **common
    )


def _account_token(opts: dict, settings, times) -> str:
    start, expiry = times
    if opts.get("policy_id"):
        raise ConfigError("policy_id: stored access policies belong to a container; an account SAS cannot use one")
    return sas_signing.account_sas(
        settings.account,
        settings.key,
        opts.get("permissions") or "r",
        opts.get("services") or "b",
        opts.get("resource_types") or "co",
        expiry,
        start=start,
        ip=opts.get("ip") or "",
        protocol=opts.get("protocol") or "https",
    )


def generate(opts: dict, now: dt.datetime | None = None, delegation_key=fetch_delegation_key) -> str:
    """Build the SAS URL or token from the lookup options. ``delegation_key(opts, start, expiry, now)`` gets the user
    delegation key (tests pass a fake). Raises ConfigError, or AzureRestError from Get User Delegation Key."""
    now = now or dt.datetime.now(dt.timezone.utc)
    settings = resolve({k: opts.get(k) for k in ACCOUNT_OPTIONS}, require_credential=False)
    mode = signing_mode(opts, settings)
    if mode == "key" and not settings.key:
        raise ConfigError(
            "storage_sas: signing a SAS needs the account key: set account_key or a connection string with AccountKey, "
            "or sign a user delegation SAS with Entra ID (storage_auth=entra and the Entra ID options, or auth_source)"
        )
    times = _times(opts, now)
    _check_letters(opts)
    base = settings.service_url("blob")
    try:
        if (opts.get("sas_type") or "service") == "account":
            token, url = _account_token(opts, settings, times), base + "/"
        else:
            token = _service_token(opts, settings, mode, times, now, delegation_key)
            blob = opts.get("blob")
            url = base + (blob_path(opts["container"], blob) if blob else container_path(opts["container"]))
    except ValueError as exc:  # pragma: no cover - every letter option is checked by _letters() first
        raise ConfigError("storage_sas: %s" % exc) from None
    if (opts.get("output") or "url") == "token":
        return token
    if opts.get("snapshot"):
        from urllib.parse import quote

        return "%s?snapshot=%s&%s" % (url, quote(opts["snapshot"], safe=""), token)
    return "%s?%s" % (url, token)


class LookupModule(LookupBase):
    def _value(self, name: str, envs: dict):
        """An option's value. One read from the environment follows the modules' rule (``_argspec``): the first
        non-empty variable wins and an empty one counts as unset (Ansible's own reading takes the last one set)."""
        value, origin = self.get_option_and_origin(name)
        names = envs.get(name) or []
        if str(origin).startswith("env: ") and str(origin)[5:] in names:
            value = next((os.environ[n].strip() for n in names if (os.environ.get(n) or "").strip()), None)
            if value and name in PATH_OPTIONS:
                value = os.path.expanduser(value)
        return value

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        envs = env_names()
        opts = {n: self._value(n, envs) for n in ACCOUNT_OPTIONS + ENTRA_OPTIONS + CONNECTION_OPTIONS + SAS_OPTIONS}
        try:
            return [generate(opts)]
        except AzureRestError as exc:
            raise AnsibleError("storage_sas: %s" % Redactor().redact(exc.msg)) from None
