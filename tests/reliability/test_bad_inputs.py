# SPDX-License-Identifier: GPL-3.0-or-later
"""The bad-input table (research facts section 6): every case runs a module in-process against Azurite (through the
fault proxy, which logs every request) or the twin, and asserts

* the outcome: a failure whose message contains one of the expected substrings (which name the option or the
  cause), or success (then the oracle checks the effect);
* that nothing existing was modified: for a failure, the Azurite oracle snapshot is unchanged and no write request
  (PUT/POST/DELETE/PATCH/MERGE) reached the service; for the twin, its request log shows no write to a service host;
* that no secret of the case appears in the result or in anything the module printed.

A case whose module does not exist yet is skipped with "module not written yet". The table is the ``CASES`` list;
``ref`` gives the row of the research matrix (section 6) each case comes from.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability import _cert_fixtures, _support

WRITE_METHODS = {"PUT", "POST", "DELETE", "PATCH", "MERGE"}
DROP = object()
SECRET_OPTIONS = (
    "account_key",
    "sas_token",
    "client_secret",
    "client_certificate_password",
    "client_certificate_content",
    "access_token",
    "batch_access_key",
    "management_certificate_password",
    "management_certificate_content",
    "password",
    "pfx_password",
    "certificate_password",
    "value",
    "secret_value",
)
# hosts that point nowhere: anything not on 127.0.0.1 goes to a closed local port unless the case uses the twin
DEAD_PROXY = "http://127.0.0.1:9"
T = "twin"  # needs the Azure twin


@dataclass
class Case:
    """One row: ``args(ctx)`` builds the module arguments; ``expect`` is ``fail``, ``ok`` or ``either``."""

    id: str
    module: str
    args: Callable
    expect: str = "fail"
    match: tuple = ()
    needs: str = "azurite"
    ref: str = ""
    check: Callable | None = None
    check_mode: bool = False
    patch: Callable | None = None
    no_writes: bool | None = None
    extra_secrets: Callable | None = None


class Ctx:
    """What a case's ``args`` may use: Azurite through the proxy, a fresh container, certificates, the twin."""

    def __init__(self, request, tmp_path: Path, needs: str):
        self.request = request
        self.tmp = tmp_path
        self._certs = None
        self.azurite = None
        self.twin = None
        self.proxy = None
        if needs == "azurite":
            self.azurite = request.getfixturevalue("azurite")
            self.proxy = request.getfixturevalue("fault_proxy")
            self.container = request.getfixturevalue("container")
            self.oracle = request.getfixturevalue("oracle")
        if needs == "twin":
            self.twin = request.getfixturevalue("twin")
            self.info = self.twin.info

    @property
    def certs(self) -> dict:
        """The certificate fixtures (built once per session, on first use)."""
        if self._certs is None:
            self._certs = self.request.getfixturevalue("cert_files")
        return self._certs

    # storage
    @property
    def endpoint(self) -> str:
        return self.proxy.endpoint()

    def storage(self, **kw) -> dict:
        args = {"account_name": self.azurite.account, "account_key": self.azurite.key, "endpoint": self.endpoint}
        return _merge(args, kw)

    def sas(self, read_only: bool = False, expired: bool = False) -> str:
        from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

        now = dt.datetime.now(dt.timezone.utc)
        perms = (
            AccountSasPermissions(read=True, list=True)
            if read_only
            else AccountSasPermissions(read=True, list=True, write=True, create=True, delete=True)
        )
        token = generate_account_sas(
            self.azurite.account,
            self.azurite.key,
            resource_types=ResourceTypes(service=True, container=True, object=True),
            permission=perms,
            expiry=now - dt.timedelta(hours=1) if expired else now + dt.timedelta(hours=1),
            start=now - dt.timedelta(hours=2) if expired else None,
        )
        _support.remember_secret(_sig(token))
        return token

    def file(self, name: str, data: bytes) -> str:
        p = self.tmp / name
        p.write_bytes(data)
        return str(p)

    # classic
    def classic(self, **kw) -> dict:
        c = self.info["classic"]
        args = {
            "subscription_id": c["subscription_id"],
            "management_certificate_path": c["pem_file"],
            "timeout": 10,
            "retries": 0,
        }
        return _merge(args, kw)

    # entra (through signet.azure.request against the ARM twin)
    def arm_url(self) -> str:
        arm = self.info.get("arm") or {}
        rg = arm.get("resource_group", "signet-rg")
        name = arm.get("cloud_service", "signet-cs")
        return (
            "https://management.azure.com/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/cloudServices/%s?api-version=2024-11-04"
            % (
                self.info["subscription_id"],
                rg,
                name,
            )
        )

    def entra(self, **kw) -> dict:
        app = self.info["entra"]["secret_app"]
        args = {
            "auth": "entra",
            "url": self.arm_url(),
            "tenant_id": self.info["tenant_id"],
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "timeout": 10,
            "retries": 0,
        }
        return _merge(args, kw)

    def mint(self, **kw) -> str:
        token = self.twin.control("/_twin/entra/mint", kw)["access_token"]
        _support.remember_secret(token)
        return token

    # key vault and cloud services
    def set_attr(self, name: str, value):
        setattr(self, name, value)
        _support.remember_secret(value) if isinstance(value, str) else None
        return value

    def entra_only(self) -> dict:
        app = self.info["entra"]["secret_app"]
        return {
            "tenant_id": self.info["tenant_id"],
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "timeout": 10,
            "retries": 0,
        }

    def kv(self, **kw) -> dict:
        return _merge(dict(self.entra_only(), vault_name="signetkv"), kw)

    def cs(self, **kw) -> dict:
        args = dict(
            self.entra_only(),
            subscription_id=self.info["subscription_id"],
            resource_group="signet-rg",
            name="signet-cs",
            poll_interval=1,
            wait_timeout=60,
        )
        return _merge(args, kw)

    def kv_oracle(self, kind: str):
        from azure.identity import ClientSecretCredential

        app = self.info["entra"]["secret_app"]
        cred = ClientSecretCredential(self.info["tenant_id"], app["client_id"], app["client_secret"])
        url = self.info["keyvault"]["vault_url"]
        if kind == "secret":
            from azure.keyvault.secrets import SecretClient

            return SecretClient(url, cred)
        from azure.keyvault.certificates import CertificateClient

        return CertificateClient(url, cred)

    def seed_secret(self, monkeypatch):
        for k, v in self.twin.env.items():
            monkeypatch.setenv(k, v)
        self.kv_name = "rel-info-" + uuid.uuid4().hex[:8]
        value = self.set_attr("kv_value", "rel-info-value-" + uuid.uuid4().hex)
        self.kv_oracle("secret").set_secret(self.kv_name, value)

    # batch
    def batch(self, **kw) -> dict:
        b = self.info["batch"]
        args = {
            "batch_account": b["account"],
            "batch_access_key": b["primary_key"],
            "batch_endpoint": b["endpoint"],
            "batch_auth": "shared_key",
            "timeout": 10,
            "retries": 0,
        }
        return _merge(args, kw)


def _merge(base: dict, kw: dict) -> dict:
    out = dict(base)
    for k, v in kw.items():
        if v is DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def _sig(token: str) -> str:
    from urllib.parse import parse_qs

    return parse_qs(token).get("sig", [""])[0]


def _b64(n: int) -> str:
    return base64.b64encode(os.urandom(n)).decode("ascii")


# -- checks run after a successful case (oracle only) -------------------------------------------------------------
def blob_is(name: str, content: bytes):
    def check(ctx, result):
        got = _support.blob_bytes(ctx.oracle, ctx.container, name)
        assert got == content, "the oracle reads %r for blob %r, expected %r" % (got[:60] if got else got, name, content[:60])
        names = [b.name for b in ctx.oracle.get_container_client(ctx.container).list_blobs()]
        assert name in names, "blob name not stored exactly: %r not in %r" % (name, names[:5])

    return check


def blob_meta(name: str, meta: dict):
    def check(ctx, result):
        props = ctx.oracle.get_blob_client(ctx.container, name).get_blob_properties()
        assert {k.lower(): v for k, v in props.metadata.items()} == {k.lower(): v for k, v in meta.items()}

    return check


def container_exists(name_fn):
    def check(ctx, result):
        name = name_fn(ctx)
        try:
            assert ctx.oracle.get_container_client(name).exists(), "container %s was not created" % name
        finally:
            try:
                ctx.oracle.delete_container(name)
            except Exception:  # noqa: BLE001
                pass

    return check


def unchanged_blob(name: str, content: bytes):
    def check(ctx, result):
        assert _support.blob_bytes(ctx.oracle, ctx.container, name) == content, "the existing blob was modified"

    return check


def seed_blob(name: str, content: bytes):
    def patch(ctx, monkeypatch):
        ctx.oracle.get_blob_client(ctx.container, name).upload_blob(content)

    return patch


def file_unchanged(rel: str, content: bytes | None):
    def check(ctx, result):
        p = ctx.tmp / rel
        if content is None:
            assert not p.exists(), "dest was created"
        else:
            assert p.read_bytes() == content, "dest was modified"
        stray = (
            [f.name for f in p.parent.iterdir() if f.name.startswith(".") and f.name.endswith(".part")]
            if p.parent.exists()
            else []
        )
        assert not stray, "temp files left: %s" % stray

    return check


def seed_file(rel: str, content: bytes):
    def patch(ctx, monkeypatch):
        p = ctx.tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)

    return patch


def seq(*patches):
    def patch(ctx, monkeypatch):
        for p in patches:
            p(ctx, monkeypatch)

    return patch


def clock_behind(minutes: int):
    def patch(ctx, monkeypatch):
        import email.utils
        import time

        from ansible_collections.signet.azure.plugins.module_utils._auth import base, batch

        def old_date():
            return email.utils.formatdate(time.time() - minutes * 60, usegmt=True)

        monkeypatch.setattr(base, "http_date", old_date)
        monkeypatch.setattr(batch, "http_date", old_date)

    return patch


def proxy_fault(action: str, **rule):
    """Script a fault on the case's proxy (for service answers Azurite cannot produce)."""

    def patch(ctx, monkeypatch):
        r = dict(rule)
        if "path" in r:
            r["path"] = r["path"].replace("{container}", ctx.container)
        ctx.proxy.add(action, **r)

    return patch


def leased_blob(name: str, content: bytes):
    def patch(ctx, monkeypatch):
        blob = ctx.oracle.get_blob_client(ctx.container, name)
        blob.upload_blob(content)
        lease = blob.acquire_lease(lease_duration=-1)
        ctx.request.addfinalizer(lambda: lease.break_lease(lease_break_period=0))

    return patch


def netrc_home(ctx, monkeypatch):
    home = ctx.tmp / "home"
    home.mkdir()
    (home / ".netrc").write_text("machine 127.0.0.1 login intruder password netrc-password-123\n")
    (home / ".netrc").chmod(0o600)
    # only for the module run: the oracle (azure-storage-blob on requests) would itself pick the .netrc up
    ctx.env_extra = {"HOME": str(home), "NETRC": str(home / ".netrc")}


def no_secret_value(attr: str):
    def check(ctx, result):
        value = getattr(ctx, attr)
        assert value not in json.dumps(result), "the secret value is in the module result"

    return check


def upload_safe(name: str, content: bytes):
    def check(ctx, result):
        got = _support.blob_bytes(ctx.oracle, ctx.container, name)
        assert got == content, "the blob is not the source after success"

    return check


def bogus_ca_env(ctx, monkeypatch):
    for k, v in ctx.twin.env.items():
        monkeypatch.setenv(k, v)
    bogus = ctx.tmp / "bogus-ca.pem"
    bogus.write_bytes(Path(ctx.certs["good.crt"]).read_bytes())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bogus))
    monkeypatch.setenv("SSL_CERT_FILE", str(bogus))
    ctx.env_extra = {"REQUESTS_CA_BUNDLE": str(bogus), "SSL_CERT_FILE": str(bogus)}


LONG = "n" * 1025
OK_1024 = "k" * 1024
UNICODE_NAMES = {
    "space": "with space.txt",
    "plus": "plus+sign.txt",
    "percent": "percent%sign.txt",
    "hash": "hash#tag.txt",
    "question": "question?mark.txt",
    "tilde": "tilde~name.txt",
    "reserved": "sub!$&'()*,;=:@chars.txt",
    "accent": "café-é.txt",
    "cjk": "日本語/ファイル.txt",
    "emoji": "emoji-😀.txt",
    "literal_pct20": "literal%20encoded.txt",
    "nested": "dir/sub/file.txt",
    "trailing_dot": "trailing.dot.",
}
META_13 = {k: "v%d" % i for i, k in enumerate(["a", "B", "_c", "D_", "e1", "F_1", "g__h", "Hi", "i_J", "J0", "k_", "L", "m9"])}


def _u(ctx) -> str:
    return "rel" + uuid.uuid4().hex[:10]


# -- the table ---------------------------------------------------------------------------------------------------------
CASES: list[Case] = []


def add(*cases: Case) -> None:
    CASES.extend(cases)


# 6.1 credentials and keys
add(
    Case(
        "key_not_base64",
        "storage_container_info",
        lambda c: c.storage(account_key="abc$%xyz"),
        match=("account_key",),
        ref="6.1#1",
    ),
    Case(
        "key_not_base64_long",
        "storage_blob",
        lambda c: c.storage(account_key="not!base64" + "x" * 80, container=c.container, name="k.txt", content="x"),
        match=("account_key",),
        ref="6.1#1",
    ),
    Case(
        "key_wrong_length",
        "storage_container_info",
        lambda c: c.storage(account_key=_b64(32)),
        match=("account_key", "key"),
        ref="6.1#2",
    ),
    Case(
        "key_whitespace",
        "storage_container_info",
        lambda c: c.storage(account_key="  %s\n" % c.azurite.key),
        expect="ok",
        ref="6.1#3",
    ),
    Case(
        "key_other_account",
        "storage_container",
        lambda c: c.storage(account_key=_b64(64), name=c.container + "x"),
        match=("key",),
        ref="6.1#6",
    ),
    Case(
        "account_upper",
        "storage_container_info",
        lambda c: c.storage(account_name="MyAccount", endpoint="http://127.0.0.1:%d/MyAccount" % c.proxy.port),
        match=("account_name",),
        ref="6.1#4",
    ),
    Case(
        "account_dash",
        "storage_container_info",
        lambda c: c.storage(account_name="my-account", endpoint="http://127.0.0.1:%d/my-account" % c.proxy.port),
        match=("account_name",),
        ref="6.1#5",
    ),
    Case(
        "account_underscore",
        "storage_container_info",
        lambda c: c.storage(account_name="my_account", endpoint="http://127.0.0.1:%d/my_account" % c.proxy.port),
        match=("account_name",),
        ref="6.1#5",
    ),
    Case(
        "account_short",
        "storage_container_info",
        lambda c: c.storage(account_name="ab", endpoint="http://127.0.0.1:%d/ab" % c.proxy.port),
        match=("account_name",),
        ref="6.1#5",
    ),
    Case(
        "account_long",
        "storage_container_info",
        lambda c: c.storage(account_name="a" * 25, endpoint="http://127.0.0.1:%d/%s" % (c.proxy.port, "a" * 25)),
        match=("account_name",),
        ref="6.1#5",
    ),
    Case(
        "endpoint_account_mismatch",
        "storage_container_info",
        lambda c: c.storage(account_name="otheraccount"),
        match=("endpoint",),
        ref="6.3#38",
    ),
    Case(
        "endpoint_not_http",
        "storage_container_info",
        lambda c: c.storage(endpoint="ftp://127.0.0.1/devstoreaccount1"),
        match=("endpoint",),
        ref="6.3#38",
    ),
    Case("no_account", "storage_container_info", lambda c: {"account_key": c.azurite.key}, match=("account_name",), ref="6.1"),
    Case(
        "no_credential",
        "storage_container_info",
        lambda c: c.storage(account_key=DROP),
        match=("account_key", "credential"),
        ref="6.1",
    ),
    Case(
        "cs_malformed",
        "storage_container_info",
        lambda c: {"connection_string": "AccountName=devstoreaccount1;garbage;BlobEndpoint=%s" % c.endpoint},
        match=("connection_string",),
        ref="6.1",
    ),
    Case(
        "cs_no_key",
        "storage_container_info",
        lambda c: {"connection_string": "AccountName=devstoreaccount1;BlobEndpoint=%s" % c.endpoint},
        match=("connection_string",),
        ref="6.1",
    ),
    Case(
        "cs_bad_key",
        "storage_container_info",
        lambda c: {"connection_string": "AccountName=devstoreaccount1;AccountKey=abc$%%xyz;BlobEndpoint=%s" % c.endpoint},
        match=("account_key", "key"),
        ref="6.1#1",
    ),
    Case(
        "cs_ok",
        "storage_container_info",
        lambda c: {
            "connection_string": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=%s;BlobEndpoint=%s;"
            % (c.azurite.key, c.endpoint)
        },
        expect="ok",
        ref="6.1",
    ),
    Case(
        "sas_no_sig",
        "storage_container_info",
        lambda c: c.storage(account_key=DROP, sas_token="sv=2023-11-03&ss=b&srt=sco&sp=rl"),
        match=("sas_token",),
        ref="6.1",
    ),
    Case(
        "sas_spaces",
        "storage_container_info",
        lambda c: c.storage(account_key=DROP, sas_token="sv=2023-11-03&sig=abc def%3D"),
        match=("sas_token",),
        ref="6.1",
    ),
    Case(
        "sas_expired",
        "storage_container_info",
        lambda c: c.storage(account_key=DROP, sas_token=c.sas(expired=True)),
        match=("403", "expired", "sas", "authentication"),
        ref="6.4#46",
    ),
    Case(
        "sas_read_only_write",
        "storage_container",
        lambda c: c.storage(account_key=DROP, sas_token=c.sas(read_only=True), name=c.container + "-ro"),
        match=("403", "authoriz", "permission"),
        ref="5.6",
    ),
    Case("sas_ok", "storage_container_info", lambda c: c.storage(account_key=DROP, sas_token=c.sas()), expect="ok", ref="6.1"),
    Case(
        "sas_mode_without_token",
        "storage_container_info",
        lambda c: c.storage(storage_auth="sas"),
        match=("sas_token",),
        ref="6.1",
    ),
    Case(
        "shared_key_lite",
        "storage_container_info",
        lambda c: c.storage(storage_auth="shared_key_lite"),
        expect="either",
        match=("403", "signature"),
        ref="1.1",
    ),
    Case(
        "unsupported_param_with_secret",
        "storage_container_info",
        lambda c: c.storage(bogus_option="x"),
        match=("bogus_option", "unsupported"),
        ref="6.8#90",
    ),
    Case("timeout_not_int", "storage_container_info", lambda c: c.storage(timeout="soon"), match=("timeout",), ref="6.5"),
    Case("retries_not_int", "storage_container_info", lambda c: c.storage(retries="many"), match=("retries",), ref="6.5"),
    Case(
        "storage_auth_bad_choice",
        "storage_container_info",
        lambda c: c.storage(storage_auth="kerberos"),
        match=("storage_auth",),
        ref="6.1",
    ),
    Case("cloud_bad_choice", "storage_container_info", lambda c: c.storage(cloud="AzureMoon"), match=("cloud",), ref="6.1"),
)

# service answers and transport (through the proxy)
add(
    Case(
        "shared_key_disabled",
        "storage_container_info",
        lambda c: c.storage(),
        match=("KeyBasedAuthenticationNotPermitted", "Shared Key is disabled"),
        patch=proxy_fault("respond", status=403, code="KeyBasedAuthenticationNotPermitted", count=5),
        ref="6.1#7",
    ),
    Case(
        "blob_leased",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="leased.txt", content="new"),
        match=("lease",),
        patch=leased_blob("leased.txt", b"old"),
        check=None,
        ref="6.6#69",
    ),
    Case(
        "put_block_invalid",
        "storage_blob",
        lambda c: c.storage(
            container=c.container, name="ib.bin", src=c.file("ib", b"b" * 9000), block_size=4096, single_put_size=4096
        ),
        match=("InvalidBlobOrBlock", "uncommitted", "block"),
        patch=proxy_fault("respond", method="PUT", path=r"comp=block(&|$)", status=400, code="InvalidBlobOrBlock"),
        no_writes=False,  # staged (uncommitted) blocks change nothing readers see; the snapshot proves it
        ref="6.6#64",
    ),
    Case(
        "commit_invalid_block_list",
        "storage_blob",
        lambda c: c.storage(
            container=c.container,
            name="ibl.bin",
            src=c.file("ibl", b"c" * 9000),
            block_size=4096,
            single_put_size=4096,
            overwrite="always",
        ),
        match=("InvalidBlockList", "block list"),
        patch=seq(
            seed_blob("ibl.bin", b"old"),
            proxy_fault("respond", method="PUT", path="comp=blocklist", status=400, code="InvalidBlockList"),
        ),
        no_writes=False,  # staged (uncommitted) blocks change nothing readers see; the snapshot proves it
        ref="6.6#65",
    ),
    Case(
        "block_md5_mismatch_once",
        "storage_blob",
        lambda c: c.storage(
            container=c.container, name="md5.bin", src=c.file("md5", b"d" * 9000), block_size=4096, single_put_size=4096
        ),
        expect="either",
        match=("Md5Mismatch", "MD5"),
        patch=proxy_fault("respond", method="PUT", path=r"comp=block(&|$)", status=400, code="Md5Mismatch"),
        check=upload_safe("md5.bin", b"d" * 9000),
        no_writes=False,  # staged (uncommitted) blocks change nothing readers see; the snapshot proves it
        ref="6.6#66",
    ),
    Case(
        "connection_refused_sas",
        "storage_container_info",
        lambda c: c.storage(account_key=DROP, sas_token=c.sas(), endpoint="http://127.0.0.1:9/devstoreaccount1", retries=1),
        match=("connection",),
        ref="6.5#55",
    ),
    Case("netrc_ignored", "storage_container_info", lambda c: c.storage(), expect="ok", patch=netrc_home, ref="6.3#40"),
    Case(
        "status_404_container_missing",
        "storage_container_info",
        lambda c: c.storage(name=c.container + "-none"),
        expect="either",
        match=("not exist", "404"),
        ref="6.5#53",
    ),
)


def _container_args(name: str):
    return lambda c: c.storage(name=name)


def _roundtrip_args(name: str):
    return lambda c: c.storage(container=c.container, name=name, content="content of " + name)


# 6.3 container names
BAD_CONTAINERS = {
    "mixed_underscore": "My_Container",
    "too_short": "ab",
    "too_long": "a" * 64,
    "double_dash": "a--b",
    "leading_dash": "-ab",
    "trailing_dash": "ab-",
    "upper": "UPPER",
    "space": "a b",
    "dot": "a.b",
}
for _cid, _name in BAD_CONTAINERS.items():
    add(
        Case(
            "container_" + _cid,
            "storage_container",
            _container_args(_name),
            match=("name", "container"),
            ref="6.3#26",
        )
    )
add(
    Case(
        "container_63_ok",
        "storage_container",
        lambda c: c.storage(name=c.container[:20] + "a" * 43),
        expect="ok",
        check=container_exists(lambda c: c.container[:20] + "a" * 43),
        ref="6.3#26",
    ),
    Case(
        "container_3_ok",
        "storage_container",
        lambda c: c.storage(name=c.container[-3:]),
        expect="ok",
        check=container_exists(lambda c: c.container[-3:]),
        ref="6.3#26",
    ),
    Case(
        "blob_bad_container",
        "storage_blob",
        lambda c: c.storage(container="Bad_Name", name="x.txt", content="x"),
        match=("container",),
        ref="6.3#26",
    ),
    Case(
        "blob_missing_container",
        "storage_blob",
        lambda c: c.storage(container=c.container + "-missing", name="x.txt", content="x"),
        match=("container", "not exist", "404"),
        ref="6.3",
    ),
    Case(
        "container_bad_public_access",
        "storage_container",
        lambda c: c.storage(name=c.container, public_access="everyone"),
        match=("public_access",),
        ref="6.3",
    ),
)

# 6.3 blob names
add(
    Case(
        "blob_name_1025",
        "storage_blob",
        lambda c: c.storage(container=c.container, name=LONG, content="x"),
        match=("1024", "name"),
        ref="6.3#27",
    ),
    Case(
        "blob_name_1024_ok",
        "storage_blob",
        lambda c: c.storage(container=c.container, name=OK_1024, content="x"),
        expect="ok",
        check=blob_is(OK_1024, b"x"),
        ref="6.3#27",
    ),
    Case(
        "blob_255_segments",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="a/" * 254 + "a", content="x"),
        match=("segment",),
        ref="6.3#28",
    ),
    Case(
        "blob_254_segments_ok",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="a/" * 253 + "a", content="x"),
        expect="ok",
        check=blob_is("a/" * 253 + "a", b"x"),
        ref="6.3#28",
    ),
    Case(
        "blob_control_char",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="bad\x01name", content="x"),
        match=("name", "U+0001"),
        ref="6.3#31",
    ),
    Case(
        "blob_private_use_char",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="bad\ue000name", content="x"),
        match=("name", "U+E000"),
        ref="6.3#31",
    ),
    Case(
        "blob_name_empty",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="", content="x"),
        match=("name",),
        ref="6.3#27",
    ),
)
for _cid, _name in UNICODE_NAMES.items():
    add(
        Case(
            "blob_roundtrip_" + _cid,
            "storage_blob",
            _roundtrip_args(_name),
            expect="ok",
            check=blob_is(_name, ("content of " + _name).encode("utf-8")),
            ref="6.3#29-32",
        )
    )

# 6.3 metadata
add(
    Case(
        "meta_dup_case",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="m.txt", content="x", metadata={"Foo": "1", "foo": "2"}),
        match=("metadata",),
        ref="6.3#35",
    ),
    Case(
        "meta_key_digit",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="m.txt", content="x", metadata={"1abc": "v"}),
        match=("metadata",),
        ref="6.3#33",
    ),
    Case(
        "meta_key_dash",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="m.txt", content="x", metadata={"my-key": "v"}),
        match=("metadata",),
        ref="6.3#33",
    ),
    Case(
        "meta_value_non_ascii",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="m.txt", content="x", metadata={"k": "café"}),
        match=("metadata",),
        ref="6.3#36",
    ),
    Case(
        "meta_value_newline",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="m.txt", content="x", metadata={"k": "a\nb"}),
        match=("metadata",),
        ref="6.3#34",
    ),
    Case(
        "meta_value_spaces",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="m.txt", content="x", metadata={"k": "  v  "}),
        expect="either",
        match=("metadata",),
        ref="6.3#34",
    ),
    Case(
        "meta_value_empty",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="m.txt", content="x", metadata={"k": ""}),
        expect="either",
        match=("metadata",),
        ref="6.3#34",
    ),
    Case(
        "meta_i0_i_",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="m.txt", content="x", metadata={"i0": "a", "i_": "b"}),
        expect="ok",
        check=blob_meta("m.txt", {"i0": "a", "i_": "b"}),
        ref="6.3#33",
    ),
    Case(
        "meta_foo_bar",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="m.txt", content="x", metadata={"FOO_BAR": "a", "FOO2_BAR": "b"}),
        expect="ok",
        check=blob_meta("m.txt", {"FOO_BAR": "a", "FOO2_BAR": "b"}),
        ref="6.3#33",
    ),
    Case(
        "meta_13_keys",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="m.txt", content="x", metadata=META_13),
        expect="ok",
        check=blob_meta("m.txt", META_13),
        ref="6.3#33",
    ),
    Case(
        "container_meta_dup_case",
        "storage_container",
        lambda c: c.storage(name=c.container, metadata={"Foo": "1", "FOO": "2"}),
        match=("metadata",),
        ref="6.3#35",
    ),
    Case(
        "container_meta_key_dash",
        "storage_container",
        lambda c: c.storage(name=c.container, metadata={"a-b": "1"}),
        match=("metadata",),
        ref="6.3#33",
    ),
)

# 6.6 block blob specifics and upload options
add(
    Case(
        "block_size_zero",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="b.bin", content="x", block_size=0),
        match=("block_size",),
        ref="6.6#63",
    ),
    Case(
        "block_size_too_big",
        "storage_blob",
        lambda c: c.storage(
            container=c.container,
            name="b.bin",
            src=c.file("big-src", b"x" * 100),
            block_size=4000 * 1024 * 1024 + 1,
            single_put_size=10,
        ),
        match=("block_size",),
        ref="6.6#63",
    ),
    Case(
        "max_concurrency_zero",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="b.bin", content="x", max_concurrency=0),
        match=("max_concurrency",),
        ref="6.6",
    ),
    Case(
        "src_missing",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="b.bin", src=str(c.tmp / "nope.bin")),
        match=("src",),
        ref="6.6",
    ),
    Case(
        "src_directory",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="b.bin", src=str(c.tmp)),
        match=("src",),
        ref="6.6",
    ),
    Case(
        "src_and_content",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="b.bin", src=c.file("s", b"x"), content="x"),
        match=("mutually exclusive",),
        ref="6.6",
    ),
    Case(
        "page_not_512",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="p.bin", content="x" * 100, blob_type="page"),
        match=("512", "pad"),
        ref="6.6",
    ),
    Case(
        "page_pad_ok",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="p.bin", content="x" * 100, blob_type="page", pad=True),
        expect="ok",
        check=blob_is("p.bin", b"x" * 100 + b"\0" * 412),
        ref="6.6",
    ),
    Case(
        "append_ok",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="a.log", content="line\n", blob_type="append"),
        expect="ok",
        check=blob_is("a.log", b"line\n"),
        ref="6.6",
    ),
    Case(
        "zero_byte_file",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="zero.bin", src=c.file("zero", b"")),
        expect="ok",
        check=blob_is("zero.bin", b""),
        ref="6.6#67",
    ),
    Case(
        "blocks_ok",
        "storage_blob",
        lambda c: c.storage(
            container=c.container, name="blk.bin", src=c.file("blk", b"0123456789" * 3000), block_size=4096, single_put_size=4096
        ),
        expect="ok",
        check=blob_is("blk.bin", b"0123456789" * 3000),
        ref="6.6#62",
    ),
    Case(
        "unchanged_upload_no_write",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="same.txt", content="same"),
        expect="ok",
        patch=seed_blob("same.txt", b"same"),
        no_writes=True,
        check=unchanged_blob("same.txt", b"same"),
        ref="6.6#68",
    ),
    Case(
        "check_mode_no_write",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="cm.txt", content="x"),
        expect="ok",
        check_mode=True,
        no_writes=True,
        ref="6.6#70",
    ),
    Case(
        "overwrite_never_keeps",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="keep.txt", content="new", overwrite="never"),
        expect="ok",
        patch=seed_blob("keep.txt", b"old"),
        no_writes=True,
        check=unchanged_blob("keep.txt", b"old"),
        ref="4.3",
    ),
    Case(
        "absent_missing_ok",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="gone.txt", state="absent"),
        expect="ok",
        no_writes=True,
        ref="6.6",
    ),
    Case(
        "present_without_content",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="none.txt"),
        match=("src", "content"),
        ref="6.6",
    ),
    Case(
        "blob_type_bad_choice",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="x.txt", content="x", blob_type="jumbo"),
        match=("blob_type",),
        ref="6.6",
    ),
    Case(
        "overwrite_bad_choice",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="x.txt", content="x", overwrite="sometimes"),
        match=("overwrite",),
        ref="6.6",
    ),
    Case(
        "delete_snapshots_bad_choice",
        "storage_blob",
        lambda c: c.storage(container=c.container, name="x.txt", state="absent", delete_snapshots="all"),
        match=("delete_snapshots",),
        ref="6.6",
    ),
    Case(
        "snapshot_missing_blob",
        "storage_blob_snapshot",
        lambda c: c.storage(container=c.container, name="missing.txt"),
        match=("not exist", "404", "missing.txt"),
        ref="6.6",
    ),
    Case(
        "snapshot_bad_name",
        "storage_blob_snapshot",
        lambda c: c.storage(container=c.container, name="bad\x02"),
        match=("name",),
        ref="6.3#31",
    ),
)


# info and sync modules
def sync_tree(rel: str, files: dict):
    def patch(ctx, monkeypatch):
        root = ctx.tmp / rel
        for name, data in files.items():
            p = root / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)

    return patch


def blobs_are(prefix: str, files: dict):
    def check(ctx, result):
        for name, data in files.items():
            got = _support.blob_bytes(ctx.oracle, ctx.container, prefix + name)
            assert got == data, "blob %r: %r" % (prefix + name, got)

    return check


def nothing_outside(rel: str):
    def check(ctx, result):
        inside = (ctx.tmp / rel).resolve()
        stray = [p for p in ctx.tmp.rglob("*") if p.is_file() and inside not in p.resolve().parents and p.name == "evil.txt"]
        assert not stray, "a blob name escaped the sync path: %s" % stray

    return check


TRAVERSAL = "x\\..\\..\\..\\evil.txt"  # the service maps a backslash to "/": the blob is x/../../../evil.txt
SYNC_FILES = {"plain.txt": b"p", "with space.txt": b"s", "unicodé/日本.txt": b"u", "deep/a/b/c.txt": b"c"}
add(
    Case(
        "blob_info_name_and_prefix",
        "storage_blob_info",
        lambda c: c.storage(container=c.container, name="a", prefix="b"),
        match=("mutually exclusive",),
        ref="6.3",
    ),
    Case(
        "blob_info_snapshot_without_name",
        "storage_blob_info",
        lambda c: c.storage(container=c.container, snapshot="2020-01-01T00:00:00.0000000Z"),
        match=("snapshot", "name"),
        ref="6.3",
    ),
    Case(
        "blob_info_max_results_zero",
        "storage_blob_info",
        lambda c: c.storage(container=c.container, max_results=0),
        match=("max_results",),
        ref="6.3",
    ),
    Case(
        "blob_info_bad_container",
        "storage_blob_info",
        lambda c: c.storage(container="Bad_Container"),
        match=("container",),
        ref="6.3#26",
    ),
    Case(
        "container_info_name_and_prefix",
        "storage_container_info",
        lambda c: c.storage(name="a", prefix="b"),
        match=("mutually exclusive",),
        ref="6.3",
    ),
    Case(
        "sync_path_missing",
        "storage_blob_sync",
        lambda c: c.storage(container=c.container, path=str(c.tmp / "no-such-dir")),
        match=("path",),
        ref="6.6",
    ),
    Case(
        "sync_path_is_file",
        "storage_blob_sync",
        lambda c: c.storage(container=c.container, path=c.file("afile", b"x")),
        match=("path",),
        ref="6.6",
    ),
    Case(
        "sync_bad_container",
        "storage_blob_sync",
        lambda c: c.storage(container="Bad_Container", path=str(c.tmp)),
        match=("container",),
        ref="6.3#26",
    ),
    Case(
        "sync_bad_direction",
        "storage_blob_sync",
        lambda c: c.storage(container=c.container, path=str(c.tmp), direction="sideways"),
        match=("direction",),
        ref="6.6",
    ),
    Case(
        "sync_upload_names_ok",
        "storage_blob_sync",
        lambda c: c.storage(container=c.container, path=str(c.tmp / "tree"), prefix="p/"),
        expect="ok",
        patch=sync_tree("tree", SYNC_FILES),
        check=blobs_are("p/", SYNC_FILES),
        ref="6.3#29",
    ),
    Case(
        "sync_check_mode_no_write",
        "storage_blob_sync",
        lambda c: c.storage(container=c.container, path=str(c.tmp / "tree")),
        expect="ok",
        check_mode=True,
        no_writes=True,
        patch=sync_tree("tree", SYNC_FILES),
        ref="6.6#70",
    ),
    Case(
        "sync_download_traversal",
        "storage_blob_sync",
        lambda c: c.storage(container=c.container, path=str(c.tmp / "down" / "inside"), direction="download"),
        expect="either",
        match=("outside", "path", "refus"),
        patch=seq(seed_blob("ok.txt", b"ok"), seed_blob(TRAVERSAL, b"evil"), seed_file("down/inside/.keep", b"")),
        check=nothing_outside("down/inside"),
        ref="security",
    ),
)

# batch and key vault info modules
add(
    Case(
        "batch_task_bad_expand",
        "batch_task_info",
        lambda c: c.batch(job_id="any", expand=["everything"]),
        match=("expand",),
        needs=T,
        ref="6.7",
    ),
    Case(
        "batch_task_missing_job",
        "batch_task_info",
        lambda c: c.batch(job_id="no-such-job-" + uuid.uuid4().hex[:6]),
        expect="either",
        match=("job", "not", "404"),
        needs=T,
        ref="6.7",
    ),
    Case(
        "kv_cert_info_version_without_name",
        "keyvault_certificate_info",
        lambda c: c.kv(version="0" * 32),
        match=("version", "name"),
        needs=T,
        ref="6.7",
    ),
    Case(
        "kv_cert_info_unknown",
        "keyvault_certificate_info",
        lambda c: c.kv(name="rel-none-" + uuid.uuid4().hex[:6]),
        expect="either",
        match=("not found", "404"),
        needs=T,
        ref="6.7",
    ),
)

# downloads
add(
    Case(
        "download_dest_dir_missing",
        "storage_blob_download",
        lambda c: c.storage(container=c.container, name="d.txt", dest=str(c.tmp / "no" / "such" / "dir" / "d.txt")),
        match=("dest",),
        patch=seed_blob("d.txt", b"data"),
        ref="6.5",
    ),
    Case(
        "download_missing_blob",
        "storage_blob_download",
        lambda c: c.storage(container=c.container, name="absent.txt", dest=str(c.tmp / "dl" / "absent.txt")),
        match=("not exist", "404", "absent.txt"),
        patch=seed_file("dl/.keep", b""),
        check=file_unchanged("dl/absent.txt", None),
        ref="6.5",
    ),
    Case(
        "download_missing_keeps_old",
        "storage_blob_download",
        lambda c: c.storage(container=c.container, name="absent.txt", dest=str(c.tmp / "dl" / "old.txt")),
        match=("not exist", "404", "absent.txt"),
        patch=seed_file("dl/old.txt", b"old"),
        check=file_unchanged("dl/old.txt", b"old"),
        ref="6.5",
    ),
    Case(
        "download_snapshot_and_version",
        "storage_blob_download",
        lambda c: c.storage(
            container=c.container,
            name="d.txt",
            dest=str(c.tmp / "d.txt"),
            snapshot="2020-01-01T00:00:00.0000000Z",
            version_id="v",
        ),
        match=("mutually exclusive",),
        ref="6.5",
    ),
    Case(
        "download_overwrite_never",
        "storage_blob_download",
        lambda c: c.storage(container=c.container, name="d.txt", dest=str(c.tmp / "dl" / "mine.txt"), overwrite="never"),
        expect="ok",
        patch=seq(seed_blob("d.txt", b"remote"), seed_file("dl/mine.txt", b"mine")),
        check=file_unchanged("dl/mine.txt", b"mine"),
        ref="6.5",
    ),
    Case(
        "download_check_mode",
        "storage_blob_download",
        lambda c: c.storage(container=c.container, name="d.txt", dest=str(c.tmp / "dl" / "cm.txt")),
        expect="ok",
        check_mode=True,
        patch=seq(seed_blob("d.txt", b"remote"), seed_file("dl/.keep", b"")),
        check=file_unchanged("dl/cm.txt", None),
        ref="6.6#70",
    ),
    Case(
        "download_chunk_size_zero",
        "storage_blob_download",
        lambda c: c.storage(container=c.container, name="d.txt", dest=str(c.tmp / "dl" / "z.txt"), chunk_size=0),
        expect="either",
        match=("chunk_size",),
        patch=seq(seed_blob("d.txt", b"data"), seed_file("dl/.keep", b"")),
        check=file_unchanged("dl/z.txt", b"data"),
        ref="6.5",
    ),
)

# 6.2 certificates: classic management certificate (twin)


def _cert(name):
    return lambda c: c.classic(management_certificate_path=c.certs[name])


add(
    Case("classic_ok_pem", "classic_storage_account_info", lambda c: c.classic(), expect="ok", needs=T, ref="6.2"),
    Case(
        "classic_ok_pfx",
        "classic_storage_account_info",
        lambda c: c.classic(
            management_certificate_path=c.info["classic"]["pfx_file"],
            management_certificate_password=c.info["classic"]["pfx_password"],
        ),
        expect="ok",
        needs=T,
        ref="6.2",
    ),
    Case(
        "classic_ok_cert_and_key",
        "classic_storage_account_info",
        lambda c: c.classic(
            management_certificate_path=c.info["classic"]["cert_file"], management_key_path=c.info["classic"]["key_file"]
        ),
        expect="ok",
        needs=T,
        ref="6.2",
    ),
    Case(
        "classic_ok_inline_pem",
        "classic_storage_account_info",
        lambda c: c.classic(management_certificate_path=DROP, management_certificate_content=c.certs["twin_pem_text"]),
        expect="ok",
        needs=T,
        ref="6.2",
    ),
    Case("classic_ok_crlf", "classic_storage_account_info", _cert("twin-crlf.pem"), expect="ok", needs=T, ref="6.2#25"),
    Case("classic_ok_bom", "classic_storage_account_info", _cert("twin-bom.pem"), expect="ok", needs=T, ref="6.2#25"),
    Case(
        "classic_ok_chain_pfx",
        "classic_storage_account_info",
        lambda c: c.classic(
            management_certificate_path=c.certs["twin-chain.pfx"], management_certificate_password=c.certs["pfx_password"]
        ),
        expect="ok",
        needs=T,
        ref="6.2#13",
    ),
    Case(
        "pfx_wrong_password",
        "classic_storage_account_info",
        lambda c: c.classic(
            management_certificate_path=c.certs["good.pfx"], management_certificate_password="wrong-password-123"
        ),
        match=("password",),
        needs=T,
        ref="6.2#11",
    ),
    Case(
        "pfx_no_password",
        "classic_storage_account_info",
        lambda c: c.classic(management_certificate_path=c.certs["good.pfx"]),
        match=("password",),
        needs=T,
        ref="6.2#11",
    ),
    Case(
        "pfx_without_key",
        "classic_storage_account_info",
        lambda c: c.classic(
            management_certificate_path=c.certs["nokey.pfx"], management_certificate_password=c.certs["pfx_password"]
        ),
        match=("private key", "no certificate"),
        needs=T,
        ref="6.2#12",
    ),
    Case("pem_without_key", "classic_storage_account_info", _cert("good.crt"), match=("private key",), needs=T, ref="6.2#12"),
    Case("der_without_key", "classic_storage_account_info", _cert("nokey.der"), match=("private key",), needs=T, ref="6.2#25"),
    Case(
        "pem_key_mismatch",
        "classic_storage_account_info",
        _cert("mismatch.pem"),
        match=("does not match",),
        needs=T,
        ref="6.2#14",
    ),
    Case(
        "pem_separate_key_mismatch",
        "classic_storage_account_info",
        lambda c: c.classic(management_certificate_path=c.certs["good.crt"], management_key_path=c.certs["other.key"]),
        match=("does not match",),
        needs=T,
        ref="6.2#14",
    ),
    Case(
        "pem_encrypted_no_password",
        "classic_storage_account_info",
        _cert("encrypted.pem"),
        match=("encrypted", "password"),
        needs=T,
        ref="6.2#16",
    ),
    Case(
        "pem_encrypted_wrong_password",
        "classic_storage_account_info",
        lambda c: c.classic(
            management_certificate_path=c.certs["encrypted.pem"], management_certificate_password="wrong-password-456"
        ),
        match=("password",),
        needs=T,
        ref="6.2#16",
    ),
    Case("cert_expired", "classic_storage_account_info", _cert("expired.pem"), match=("expired",), needs=T, ref="6.2#17"),
    Case(
        "cert_not_yet_valid",
        "classic_storage_account_info",
        _cert("future.pem"),
        match=("not valid before", "clock"),
        needs=T,
        ref="6.2#18",
    ),
    Case("cert_rsa_1024", "classic_storage_account_info", _cert("rsa1024.pem"), match=("1024",), needs=T, ref="6.2#19"),
    Case("cert_ec_for_classic", "classic_storage_account_info", _cert("ec.pem"), match=("RSA",), needs=T, ref="6.2#20"),
    Case(
        "cert_garbage_file",
        "classic_storage_account_info",
        _cert("garbage.pem"),
        match=("management_certificate", "certificate"),
        needs=T,
        ref="6.2",
    ),
    Case(
        "cert_empty_file",
        "classic_storage_account_info",
        _cert("empty.pem"),
        match=("management_certificate", "certificate"),
        needs=T,
        ref="6.2",
    ),
    Case(
        "cert_missing_file",
        "classic_storage_account_info",
        lambda c: c.classic(management_certificate_path=str(c.tmp / "nope.pfx")),
        match=("does not exist",),
        needs=T,
        ref="6.2",
    ),
    Case(
        "cert_content_garbage",
        "classic_storage_account_info",
        lambda c: c.classic(management_certificate_path=DROP, management_certificate_content="%%% not base64 %%%"),
        match=("certificate content", "management_certificate_content"),
        needs=T,
        ref="6.2",
    ),
    Case(
        "cert_path_and_content",
        "classic_storage_account_info",
        lambda c: c.classic(management_certificate_content=c.certs["twin_pem_text"]),
        match=("mutually exclusive",),
        needs=T,
        ref="6.2",
    ),
    Case(
        "cert_unregistered",
        "classic_storage_account_info",
        lambda c: c.classic(management_certificate_path=c.info["classic"]["unregistered_pem_file"]),
        match=("403", "upload"),
        needs=T,
        ref="6.2#21",
    ),
    Case(
        "classic_other_subscription",
        "classic_storage_account_info",
        lambda c: c.classic(subscription_id=c.info["classic"]["other_subscription_id"]),
        match=("403", "404", "subscription"),
        needs=T,
        ref="6.2#21",
    ),
    Case(
        "classic_subscription_not_guid",
        "classic_storage_account_info",
        lambda c: c.classic(subscription_id="my-subscription"),
        match=("subscription_id",),
        needs=T,
        ref="6.2",
    ),
    Case(
        "classic_subscription_missing",
        "classic_storage_account_info",
        lambda c: c.classic(subscription_id=DROP),
        match=("subscription_id",),
        needs=T,
        ref="6.2",
    ),
    Case(
        "classic_endpoint_arm",
        "classic_storage_account_info",
        lambda c: c.classic(management_endpoint="https://management.azure.com"),
        match=("management_endpoint",),
        needs=T,
        ref="6.2",
    ),
    Case(
        "classic_endpoint_http",
        "classic_storage_account_info",
        lambda c: c.classic(management_endpoint="http://management.core.windows.net"),
        match=("management_endpoint",),
        needs=T,
        ref="6.2",
    ),
    Case(
        "classic_bad_x_ms_version",
        "classic_storage_account_info",
        lambda c: c.classic(x_ms_version="latest"),
        match=("x_ms_version",),
        needs=T,
        ref="6.2#22",
    ),
    Case(
        "classic_post_check_mode",
        "classic_request",
        lambda c: c.classic(method="POST", path="/services/storageservices", body="<CreateStorageServiceInput/>"),
        expect="ok",
        check_mode=True,
        no_writes=True,
        needs=T,
        ref="6.6#70",
    ),
)

# Entra ID (signet.azure.request with auth=entra against the ARM twin)
add(
    Case("entra_ok_secret", "request", lambda c: c.entra(), expect="ok", needs=T, ref="6.1"),
    Case(
        "entra_ok_certificate",
        "request",
        lambda c: c.entra(
            client_secret=DROP,
            client_id=c.info["entra"]["cert_app"]["client_id"],
            client_certificate_path=c.info["entra"]["cert_app"]["cert_pem_file"],
        ),
        expect="ok",
        needs=T,
        ref="6.2",
    ),
    Case(
        "entra_wrong_secret",
        "request",
        lambda c: c.entra(client_secret="wrong-" + uuid.uuid4().hex),
        match=("client_secret", "7000215", "invalid_client"),
        needs=T,
        ref="6.1#9",
    ),
    Case(
        "entra_unknown_client",
        "request",
        lambda c: c.entra(client_id=str(uuid.uuid4())),
        match=("client_id", "700016"),
        needs=T,
        ref="6.1#9",
    ),
    Case(
        "entra_wrong_tenant",
        "request",
        lambda c: c.entra(tenant_id=str(uuid.uuid4())),
        match=("tenant", "90002"),
        needs=T,
        ref="6.1#9",
    ),
    Case(
        "entra_token_expired",
        "request",
        lambda c: c.entra(
            client_secret=DROP,
            client_id=DROP,
            tenant_id=DROP,
            access_token=c.mint(resource="https://management.azure.com/", expired=True),
        ),
        match=("expired",),
        needs=T,
        ref="6.1#10",
    ),
    Case(
        "entra_token_wrong_audience",
        "request",
        lambda c: c.entra(
            client_secret=DROP, client_id=DROP, tenant_id=DROP, access_token=c.mint(resource="https://vault.azure.net")
        ),
        match=("audience",),
        needs=T,
        ref="6.1#9",
    ),
    Case(
        "entra_cert_path_and_content",
        "request",
        lambda c: c.entra(client_certificate_path=c.certs["good.pem"], client_certificate_content=c.certs["twin_pem_text"]),
        match=("mutually exclusive",),
        needs=T,
        ref="6.2",
    ),
    Case(
        "entra_cert_expired",
        "request",
        lambda c: c.entra(
            client_secret=DROP, client_id=c.info["entra"]["cert_app"]["client_id"], client_certificate_path=c.certs["expired.pem"]
        ),
        match=("expired",),
        needs=T,
        ref="6.2#17",
    ),
    Case(
        "entra_cert_1024",
        "request",
        lambda c: c.entra(
            client_secret=DROP, client_id=c.info["entra"]["cert_app"]["client_id"], client_certificate_path=c.certs["rsa1024.pem"]
        ),
        match=("1024",),
        needs=T,
        ref="6.2#19",
    ),
    Case(
        "entra_cert_without_key",
        "request",
        lambda c: c.entra(
            client_secret=DROP, client_id=c.info["entra"]["cert_app"]["client_id"], client_certificate_path=c.certs["good.crt"]
        ),
        match=("private key",),
        needs=T,
        ref="6.2#12",
    ),
    Case(
        "entra_cert_unregistered",
        "request",
        lambda c: c.entra(
            client_secret=DROP, client_id=c.info["entra"]["cert_app"]["client_id"], client_certificate_path=c.certs["good.pem"]
        ),
        match=("700027", "certificate", "client_certificate"),
        needs=T,
        ref="6.2",
    ),
    Case(
        "entra_pfx_wrong_password",
        "request",
        lambda c: c.entra(
            client_secret=DROP,
            client_id=c.info["entra"]["cert_app"]["client_id"],
            client_certificate_path=c.info["entra"]["cert_app"]["pfx_file"],
            client_certificate_password="wrong-pass-789",
        ),
        match=("password",),
        needs=T,
        ref="6.2#11",
    ),
)

# Batch (twin)
add(
    Case("batch_ok", "batch_job_info", lambda c: c.batch(), expect="ok", needs=T, ref="6.1#8"),
    Case(
        "batch_key_not_base64",
        "batch_job_info",
        lambda c: c.batch(batch_access_key="not base64 !!"),
        match=("batch_access_key",),
        needs=T,
        ref="6.1#1",
    ),
    Case(
        "batch_wrong_key",
        "batch_job_info",
        lambda c: c.batch(batch_access_key=_b64(64)),
        match=("403", "key", "signature"),
        needs=T,
        ref="6.1#8",
    ),
    Case(
        "batch_no_endpoint",
        "batch_job_info",
        lambda c: c.batch(batch_endpoint=DROP),
        match=("batch_endpoint", "batch_account"),
        needs=T,
        ref="6.1",
    ),
    Case(
        "batch_endpoint_not_url",
        "batch_job_info",
        lambda c: c.batch(batch_endpoint="batch.example"),
        match=("batch_endpoint",),
        needs=T,
        ref="6.1",
    ),
    Case(
        "batch_clock_skew",
        "batch_job_info",
        lambda c: c.batch(),
        match=("clock", "too old"),
        needs=T,
        patch=clock_behind(20),
        ref="6.4#43",
    ),
    Case(
        "batch_job_missing",
        "batch_job_info",
        lambda c: c.batch(job_id="no-such-job-" + uuid.uuid4().hex[:6]),
        expect="either",
        match=("job",),
        needs=T,
        ref="6.7",
    ),
    Case(
        "batch_mutually_exclusive",
        "batch_job_info",
        lambda c: c.batch(job_id="a", filter="state eq 'active'"),
        match=("mutually exclusive",),
        needs=T,
        ref="6.7",
    ),
)


# 6.7 Key Vault and Cloud Services (twin). Setup and verification use the Azure SDKs (oracles) or the twin's control API.
def kv_soft_deleted(kind: str, name_attr: str):
    """Create then soft-delete a secret or certificate named ``ctx.<name_attr>`` with the SDK (oracle)."""

    def patch(ctx, monkeypatch):
        setattr(ctx, name_attr, "rel-%s-%s" % (kind, uuid.uuid4().hex[:8]))
        name = getattr(ctx, name_attr)
        for k, v in ctx.twin.env.items():
            monkeypatch.setenv(k, v)
        if kind == "secret":
            client = ctx.kv_oracle("secret")
            client.set_secret(name, "old-" + uuid.uuid4().hex)
            client.begin_delete_secret(name).wait()
        else:
            client = ctx.kv_oracle("certificate")
            client.import_certificate(name, Path(ctx.certs["good.pfx"]).read_bytes(), password=ctx.certs["pfx_password"])
            client.begin_delete_certificate(name).wait()

    return patch


def kv_secret_value(name_attr: str, value_attr: str):
    def check(ctx, result):
        got = ctx.kv_oracle("secret").get_secret(getattr(ctx, name_attr)).value
        assert got == getattr(ctx, value_attr), "the oracle reads another secret value"

    return check


def cs_state(ctx) -> dict:
    return ctx.twin.control("/_twin/arm/state")


def cs_unchanged(ctx, result):
    """The cloud service configuration and osProfile are what they were before the case."""
    now = cs_state(ctx)
    assert [r["body"]["properties"].get("configuration") for r in now["resources"]] == ctx.cs_before_config, (
        "the cloud service configuration changed"
    )


def cs_prepare(state: str | None = None, fail: bool = False):
    def patch(ctx, monkeypatch):
        ctx.twin.control("/_twin/arm/reset", {})  # the seeded cloud service, whatever ran before on this twin
        ctx.cs_before_config = [r["body"]["properties"].get("configuration") for r in cs_state(ctx)["resources"]]
        if state:
            ctx.twin.control("/_twin/arm/set-state", {"name": "signet-cs", "provisioningState": state})
            ctx.request.addfinalizer(
                lambda: ctx.twin.control("/_twin/arm/set-state", {"name": "signet-cs", "provisioningState": "Succeeded"})
            )
        if fail:
            ctx.twin.control(
                "/_twin/arm/fail-next",
                {"code": "RelInjectedFailure", "message": "injected by the reliability suite", "status": "Failed"},
            )
            ctx.request.addfinalizer(lambda: ctx.twin.control("/_twin/arm/reset", {}))

    return patch


def _cur(c, role: str = "server") -> dict:
    return c.info["arm"]["current"][role]


def _spaced(tp: str) -> str:
    return " ".join(tp[i : i + 2] for i in range(0, len(tp), 2)).lower()


def _x5t(tp: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(tp)).rstrip(b"=").decode("ascii")


add(
    Case(
        "kv_secret_soft_deleted",
        "keyvault_secret",
        lambda c: c.kv(name=c.kv_name, value="rel-new-" + uuid.uuid4().hex),
        match=("deleted", "recover", "purge"),
        needs=T,
        patch=kv_soft_deleted("secret", "kv_name"),
        ref="6.7#85",
    ),
    Case(
        "kv_secret_recover",
        "keyvault_secret",
        lambda c: c.kv(name=c.kv_name, value=c.set_attr("kv_value", "rel-new-" + uuid.uuid4().hex), recover=True),
        expect="ok",
        needs=T,
        patch=kv_soft_deleted("secret", "kv_name"),
        check=kv_secret_value("kv_name", "kv_value"),
        ref="6.7#85",
    ),
    Case(
        "kv_cert_soft_deleted",
        "keyvault_certificate",
        lambda c: c.kv(name=c.kv_name, certificate_path=c.certs["good.pem"]),
        match=("deleted", "recover", "purge"),
        needs=T,
        patch=kv_soft_deleted("certificate", "kv_name"),
        ref="6.7#85",
    ),
    Case(
        "kv_cert_import_expired",
        "keyvault_certificate",
        lambda c: c.kv(name="rel-expired", certificate_path=c.certs["expired.pem"]),
        match=("expired",),
        needs=T,
        ref="6.2#17",
    ),
    Case(
        "kv_cert_import_without_key",
        "keyvault_certificate",
        lambda c: c.kv(name="rel-nokey", certificate_path=c.certs["good.crt"]),
        match=("private key",),
        needs=T,
        ref="6.2#12",
    ),
    Case(
        "kv_cert_import_wrong_password",
        "keyvault_certificate",
        lambda c: c.kv(name="rel-pw", certificate_path=c.certs["good.pfx"], certificate_password="wrong-password-kv"),
        match=("password",),
        needs=T,
        ref="6.2#11",
    ),
    Case(
        "kv_cert_import_mismatch",
        "keyvault_certificate",
        lambda c: c.kv(name="rel-mismatch", certificate_path=c.certs["mismatch.pem"]),
        match=("does not match",),
        needs=T,
        ref="6.2#14",
    ),
    Case(
        "kv_cert_import_pkcs1_ok",
        "keyvault_certificate",
        lambda c: c.kv(name="rel-pkcs1-" + uuid.uuid4().hex[:6], certificate_path=c.certs["pkcs1.pem"]),
        expect="ok",
        needs=T,
        ref="6.2#15",
    ),
    Case(
        "kv_cert_import_1024",
        "keyvault_certificate",
        lambda c: c.kv(name="rel-1024", certificate_path=c.certs["rsa1024.pem"]),
        match=("1024",),
        needs=T,
        ref="6.2#19",
    ),
    Case(
        "kv_vault_name_and_url",
        "keyvault_secret",
        lambda c: c.kv(name="x", value="rel-value-123", vault_url="https://signetkv.vault.azure.net"),
        match=("mutually exclusive",),
        needs=T,
        ref="6.7",
    ),
    Case(
        "kv_unknown_vault",
        "keyvault_secret",
        lambda c: c.kv(name="x", value="rel-value-456", vault_name="nosuchvault" + uuid.uuid4().hex[:6]),
        match=("vault", "not found", "404"),
        needs=T,
        ref="6.7",
    ),
    Case(
        "kv_secret_bad_name",
        "keyvault_secret",
        lambda c: c.kv(name="bad_name!", value="rel-value-789"),
        match=("name",),
        needs=T,
        ref="6.7",
    ),
    Case(
        "kv_secret_info_no_value",
        "keyvault_secret_info",
        lambda c: c.kv(name=c.kv_name),
        expect="ok",
        needs=T,
        patch=lambda c, m: c.seed_secret(m),
        ref="6.7#88",
    ),
    Case(
        "cs_cert_name_missing",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[
                {"name": "no-such-cert", "thumbprint": _cur(c)["thumbprint"], "certificate_url": _cur(c)["certificate_url"]}
            ]
        ),
        match=("no-such-cert",),
        needs=T,
        patch=cs_prepare(),
        check=cs_unchanged,
        ref="6.7#79",
    ),
    Case(
        "cs_thumbprint_case_spaces",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[
                {"name": "server", "thumbprint": _spaced(_cur(c)["thumbprint"]), "certificate_url": _cur(c)["certificate_url"]}
            ]
        ),
        expect="ok",
        no_writes=True,
        needs=T,
        patch=cs_prepare(),
        check=cs_unchanged,
        ref="6.7#80",
    ),
    Case(
        "cs_thumbprint_colons_u200e",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[
                {
                    "name": "server",
                    "thumbprint": "\u200e" + ":".join(_cur(c)["thumbprint"][i : i + 2] for i in range(0, 40, 2)),
                    "certificate_url": _cur(c)["certificate_url"],
                }
            ]
        ),
        expect="ok",
        no_writes=True,
        needs=T,
        patch=cs_prepare(),
        check=cs_unchanged,
        ref="6.2#23",
    ),
    Case(
        "cs_thumbprint_not_hex",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[{"name": "server", "thumbprint": "not-a-thumbprint", "certificate_url": _cur(c)["certificate_url"]}]
        ),
        match=("thumbprint",),
        needs=T,
        patch=cs_prepare(),
        ref="6.2#23",
    ),
    Case(
        "cs_thumbprint_x5t",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[
                {"name": "server", "thumbprint": _x5t(_cur(c)["thumbprint"]), "certificate_url": _cur(c)["certificate_url"]}
            ]
        ),
        match=("thumbprint", "x5t", "base64"),
        needs=T,
        patch=cs_prepare(),
        ref="6.2#24",
    ),
    Case(
        "cs_url_not_versioned",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[
                {
                    "name": "server",
                    "thumbprint": _cur(c)["thumbprint"],
                    "certificate_url": _cur(c)["certificate_url"].rsplit("/", 1)[0],
                }
            ]
        ),
        match=("certificate_url", "version"),
        needs=T,
        patch=cs_prepare(),
        ref="4.5",
    ),
    Case(
        "cs_url_certificates_path",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[
                {
                    "name": "server",
                    "thumbprint": _cur(c)["thumbprint"],
                    "certificate_url": _cur(c)["certificate_url"].replace("/secrets/", "/certificates/"),
                }
            ]
        ),
        match=("certificate_url", "secret"),
        needs=T,
        patch=cs_prepare(),
        ref="4.5",
    ),
    Case(
        "cs_thumbprint_mismatch_vault",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[
                {"name": "server", "thumbprint": _cur(c, "root")["thumbprint"], "certificate_url": _cur(c)["certificate_url"]}
            ]
        ),
        match=("thumbprint",),
        needs=T,
        patch=cs_prepare(),
        check=cs_unchanged,
        ref="6.7#81",
    ),
    Case(
        "cs_updating_state",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[
                {
                    "name": "server",
                    "thumbprint": _cur(c, "intermediate")["thumbprint"],
                    "certificate_url": _cur(c, "intermediate")["certificate_url"],
                }
            ],
            verify_thumbprints=False,
        ),
        match=("updating", "in progress"),
        needs=T,
        patch=cs_prepare(state="Updating"),
        ref="6.7#78",
    ),
    Case(
        "cs_lro_failed",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[
                {
                    "name": "server",
                    "thumbprint": _cur(c, "intermediate")["thumbprint"],
                    "certificate_url": _cur(c, "intermediate")["certificate_url"],
                }
            ],
            verify_thumbprints=False,
            poll_interval=1,
        ),
        match=("RelInjectedFailure",),
        needs=T,
        no_writes=False,
        patch=cs_prepare(fail=True),
        check=None,
        ref="6.7#71",
    ),
    Case(
        "cs_missing_resource",
        "cloud_service_certificate",
        lambda c: c.cs(
            name="no-such-cs",
            certificates=[{"name": "server", "thumbprint": _cur(c)["thumbprint"], "certificate_url": _cur(c)["certificate_url"]}],
        ),
        match=("not found", "404", "no-such-cs"),
        needs=T,
        ref="6.7",
    ),
    Case(
        "cs_unknown_role",
        "cloud_service_certificate",
        lambda c: c.cs(
            certificates=[
                {
                    "name": "server",
                    "thumbprint": _cur(c)["thumbprint"],
                    "certificate_url": _cur(c)["certificate_url"],
                    "roles": ["NoSuchRole"],
                }
            ]
        ),
        match=("NoSuchRole", "role"),
        needs=T,
        patch=cs_prepare(),
        ref="6.7#79",
    ),
    Case(
        "cs_info_missing",
        "cloud_service_info",
        lambda c: c.cs(name="no-such-cs", certificates=DROP, poll_interval=DROP, wait_timeout=DROP),
        expect="either",
        match=("not found", "404"),
        needs=T,
        ref="6.7",
    ),
)


# Cases that fail because of a bug in a module or module_util owned by another engineer (reported, not fixed here).
# They run and are marked xfail(strict=True): the day the bug is fixed the XPASS fails the suite, so the entry must be
# removed. SIGNET_RELIABILITY_STRICT=1 turns them into plain failures.
KNOWN_BUGS: dict[str, str] = {}


def _params():
    strict = os.environ.get("SIGNET_RELIABILITY_STRICT") == "1"
    out = []
    for c in CASES:
        marks = (
            [pytest.mark.xfail(reason="known bug: " + KNOWN_BUGS[c.id], strict=True)] if c.id in KNOWN_BUGS and not strict else []
        )
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


# -- fixtures ----------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def cert_files(tmp_path_factory, request):
    twin_classic = None
    if any(c.needs == T for c in CASES):
        try:
            twin_classic = request.getfixturevalue("twin").info.get("classic")
        except Exception:  # noqa: BLE001 - without a twin the classic variants are simply missing
            twin_classic = None
    files = _cert_fixtures.build(tmp_path_factory.mktemp("rel-certs"), twin_classic)
    _support.remember_secret(files["pfx_password"], files["pem_password"])
    return files


def _case_secrets(args: dict) -> list[str]:
    found = []
    for k, v in args.items():
        if isinstance(v, str) and (
            k in SECRET_OPTIONS or "secret" in k or "password" in k or k.endswith("_key") and k != "storage_api_version"
        ):
            if k in ("account_name",):
                continue
            found.append(v.strip())
        if k == "connection_string" and isinstance(v, str):
            for part in v.split(";"):
                if part.lower().startswith("accountkey="):
                    found.append(part.split("=", 1)[1])
        if k == "sas_token" and isinstance(v, str):
            found.append(_sig(v))
    return [s for s in found if s and len(s) >= 6]


def _accepted(status) -> bool:
    """A write the service accepted (2xx) could have modified something; a 4xx/5xx answer did not."""
    return status is None or 200 <= int(status) < 300


def _twin_writes(twin, since: int) -> list[dict]:
    log = twin.requests_log(since=since)
    return [e for e in log if e["method"] in WRITE_METHODS and not e["host"].startswith("login.") and not e.get("plain")]


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, request, tmp_path, monkeypatch):
    _support.require_module(case.module)
    ctx = Ctx(request, tmp_path, case.needs)
    if case.patch:
        case.patch(ctx, monkeypatch)
    args = case.args(ctx)
    secrets = _case_secrets(args)
    _support.remember_secret(*secrets)
    if case.needs == T:
        env = dict(ctx.twin.env)
        since = ctx.twin.requests_log()[-1]["seq"] if ctx.twin.requests_log() else 0
        before = None
    else:
        env = {
            "HTTPS_PROXY": DEAD_PROXY,
            "https_proxy": DEAD_PROXY,
            "HTTP_PROXY": DEAD_PROXY,
            "http_proxy": DEAD_PROXY,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        since = 0
        before = _support.snapshot(ctx.oracle) if ctx.azurite else None
    env.update(getattr(ctx, "env_extra", {}))
    outcome, result, output = _support.run_module(case.module, args, check_mode=case.check_mode, env=env)
    _support.count("bad_inputs")
    msg = str(result.get("msg", ""))
    text = json.dumps(result, default=str) + "\n" + output
    leaked = [s[:4] + "..." for s in secrets if s in text]
    assert not leaked, "secrets of the case appear in the module result/output: %s" % leaked
    assert "PRIVATE KEY-----" not in text, "a PEM private key appears in the module result/output"
    assert outcome != "crash", "the module crashed instead of failing cleanly: %s" % msg
    if case.expect == "ok":
        assert outcome == "exit", "expected success, got failure: %s" % msg
    elif case.expect == "fail":
        assert outcome == "fail", "expected a failure naming %s, but the module succeeded: %s" % (
            case.match,
            json.dumps(result, default=str)[:600],
        )
    if outcome == "fail" and case.match:
        assert any(m.lower() in msg.lower() for m in case.match), "the failure message does not name %s: %r" % (case.match, msg)
    no_writes = case.no_writes if case.no_writes is not None else outcome == "fail"
    if no_writes:
        if ctx.proxy is not None:
            writes = [
                (e["method"], e["path"], e["status"])
                for e in ctx.proxy.log
                if e["method"] in WRITE_METHODS and _accepted(e["status"])
            ]
            assert not writes, "write requests reached the service: %s" % writes
        if ctx.twin is not None:
            writes = [
                (e["method"], e["host"], e["path"], e.get("status"))
                for e in _twin_writes(ctx.twin, since)
                if _accepted(e.get("status"))
            ]
            assert not writes, "write requests reached the twin: %s" % writes
    if before is not None and outcome == "fail":
        assert _support.snapshot(ctx.oracle) == before, "a failed case modified Azurite"
    if case.check and outcome == "exit":
        case.check(ctx, result)
