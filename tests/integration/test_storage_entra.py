# SPDX-License-Identifier: GPL-3.0-or-later
"""Blob storage with Entra ID, end to end: credential -> token (the twin's Entra ID endpoint) -> storage call (Azurite
on HTTPS with ``--oauth basic``, which checks the token's issuer, audience and lifetime).

Every credential kind of the collection (client secret, certificate PFX and PEM, workload identity, managed identity
system and user-assigned, a given access token, the Azure CLI through a fake ``az``), the azure.azcollection habits
(``auth_source``, ``~/.azure/credentials``, the ``tenant``/``secret``/``cloud_environment`` aliases) and a user
delegation SAS created through Azurite's Get User Delegation Key and used by a SAS-only client. Microsoft's SDKs are
test-only oracles: azure-identity for the token request, azure-storage-blob for the storage calls and for the user
delegation SAS (``generate_blob_sas``/``generate_container_sas`` with the same user delegation key).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat
import uuid
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from ansible_collections.signet.azure.plugins.lookup import storage_sas
from ansible_collections.signet.azure.plugins.module_utils._argspec import FAMILIES, connection_spec
from ansible_collections.signet.azure.plugins.module_utils._auth import resolve
from ansible_collections.signet.azure.plugins.module_utils._auth.entra import EntraAuth, clear_token_cache
from ansible_collections.signet.azure.plugins.module_utils._clients.blob import BlobClient
from ansible_collections.signet.azure.plugins.module_utils._clients.user_delegation import get_user_delegation_key
from ansible_collections.signet.azure.plugins.module_utils._errors import AuthenticationError, ConfigError
from ansible_collections.signet.azure.plugins.module_utils._explain import explain
from ansible_collections.signet.azure.plugins.module_utils._signing import sas as sas_signing
from ansible_collections.signet.azure.plugins.module_utils._transport import Transport
from tests.helpers.playbook import failures, run_playbook

STORAGE_SCOPE = "https://storage.azure.com/.default"
ENV_TO_CLEAR = (
    "AZURE_TENANT",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_SECRET",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_CLOUD_ENVIRONMENT",
    "AZURE_PROFILE",
    "ANSIBLE_AZURE_AUTH_SOURCE",
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_BLOB_ENDPOINT",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "MSI_ENDPOINT",
    "MSI_SECRET",
)


class Host:
    """What _auth/resolve needs of a module, with the params validated by the real argument spec (defaults, env
    fallbacks, aliases) of the storage family plus the connection options."""

    def __init__(self, **params):
        from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

        spec = FAMILIES["storage"]().merge(connection_spec())
        result = ArgumentSpecValidator(spec.argument_spec, mutually_exclusive=spec.mutually_exclusive).validate(params)
        assert not result.error_messages, result.error_messages
        self.params = result.validated_parameters
        self.secrets: list[str] = []
        self.warnings: list[str] = []

    def register_secret(self, value):
        self.secrets.append(value)

    def warn(self, text):
        self.warnings.append(text)


@pytest.fixture
def env(twin, azurite_oauth, monkeypatch, tmp_path):
    """A process environment behind the twin's proxy, trusting Azurite's and the twin's CA; no Azure variables; HOME
    in tmp_path (no ~/.azure/credentials); empty token cache."""
    for name in ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    for name, value in twin.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(azurite_oauth.ca_bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(azurite_oauth.ca_bundle))
    monkeypatch.setenv("HOME", str(tmp_path))
    clear_token_cache()
    twin.reset()
    yield twin
    clear_token_cache()


def base_params(azurite_oauth, **extra) -> dict:
    params = dict(
        account_name=azurite_oauth.account, endpoint=azurite_oauth.blob_endpoint, ca_bundle=str(azurite_oauth.ca_bundle)
    )
    params.update(extra)
    return params


def client_for(host: Host) -> BlobClient:
    scheme, settings = resolve.storage(host, service="blob")
    p = host.params
    return BlobClient(settings, Transport(scheme, ca_bundle=p["ca_bundle"], retries=0, explain=explain))


def shared_key_client(azurite_oauth) -> BlobClient:
    return client_for(Host(**base_params(azurite_oauth, account_key=azurite_oauth.key)))


def secret_app(twin) -> dict:
    app = twin.info["entra"]["secret_app"]
    return dict(tenant_id=twin.info["tenant_id"], client_id=app["client_id"], client_secret=app["client_secret"])


def round_trip(client: BlobClient, azurite_oauth) -> str:
    """Create a container and a blob with ``client``, read them back with it and with Shared Key (the oracle); return
    the container's name."""
    from ansible_collections.signet.azure.plugins.module_utils._clients.blob import Payload

    name = "entra-%s" % uuid.uuid4().hex[:10]
    data = b"hello from entra " + name.encode()
    assert client.create_container(name) is True
    client.upload(name, "hello.txt", Payload(content=data))
    assert client.transport.request("GET", client.url(name, "hello.txt")).content == data
    check = shared_key_client(azurite_oauth)
    assert [b["name"] for b in check.list_blobs(name)["blobs"]] == ["hello.txt"]
    assert check.transport.request("GET", check.url(name, "hello.txt")).content == data
    return name


def test_staged_blocks_stream_over_tls(env, azurite_oauth, tmp_path):
    """Blocks are streamed from the file as they are sent (issue 19); over HTTPS (ssl's sendall of each piece) the
    blob holds exactly the file, with its whole-file Content-MD5."""
    import hashlib

    from ansible_collections.signet.azure.plugins.module_utils._clients.blob import Payload

    data = os.urandom(3 * 1024 * 1024 + 17)
    src = tmp_path / "tls.bin"
    src.write_bytes(data)
    client = shared_key_client(azurite_oauth)
    name = "tls-%s" % uuid.uuid4().hex[:10]
    assert client.create_container(name) is True
    blob = client.upload(name, "tls.bin", Payload(path=str(src)), block_size=1024 * 1024, single_put_size=1024, max_concurrency=3)
    assert client.transport.request("GET", client.url(name, "tls.bin")).content == data
    assert blob["properties"]["content_md5"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    client.delete_container(name)


# -- every credential kind -----------------------------------------------------------------------------------------------
def test_client_secret_through_azurite_oauth(env, azurite_oauth):
    host = Host(**base_params(azurite_oauth, **secret_app(env)))
    client = client_for(host)
    assert client.transport.auth.name == "entra" and client.transport.auth.scheme == "Bearer"
    round_trip(client, azurite_oauth)
    claims = client.transport.auth.last_token_claims
    assert claims["aud"].rstrip("/") == "https://storage.azure.com"
    assert claims["appid"] == env.info["entra"]["secret_app"]["client_id"]
    assert host.secrets, "the token was not registered as a secret"
    hosts = [r["host"] for r in env.requests_log() if r["path"].endswith("/oauth2/v2.0/token")]
    assert hosts == ["login.microsoftonline.com"], hosts  # one token for every call (cached)


def _fake_az(tmp_path: Path, token: str | None, stderr: str = "", code: int = 0) -> Path:
    """A fake ``az`` on a private bin directory: prints a get-access-token answer (or fails) and logs its argv."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir(exist_ok=True)
    answer = {"accessToken": token, "expiresOn": "2099-01-01 00:00:00.000000", "expires_on": 4070908800, "tokenType": "Bearer"}
    script = bindir / "az"
    script.write_text(
        "#!%s\nimport json, sys\nopen(%r, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\nsys.stderr.write(%r)\n"
        "%s\nsys.exit(%d)\n"
        % (
            os.environ.get("PYTHON_FOR_FAKE_AZ") or __import__("sys").executable,
            str(bindir / "argv.log"),
            stderr,
            "print(json.dumps(%r))" % answer if token else "",
            code,
        )
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bindir


def _storage_token(twin) -> str:
    app = twin.info["entra"]["secret_app"]
    auth = EntraAuth(
        STORAGE_SCOPE,
        tenant_id=twin.info["tenant_id"],
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        verify=twin.ca_file,
    )
    return auth.token()


@pytest.mark.parametrize(
    "kind", ["certificate_pfx", "certificate_pem", "workload_identity", "msi_system", "msi_user", "access_token", "cli"]
)
def test_every_credential_kind_reaches_storage(kind, env, azurite_oauth, monkeypatch, tmp_path):
    entra = env.info["entra"]
    tenant = env.info["tenant_id"]
    mi = entra["managed_identity"]
    if kind.startswith("msi"):
        for name, value in env.msi_env.items():
            monkeypatch.setenv(name, value)
    options = {
        "certificate_pfx": dict(
            tenant_id=tenant,
            client_id=entra["cert_app"]["client_id"],
            client_certificate_path=entra["cert_app"]["pfx_file"],
            client_certificate_password=entra["cert_app"]["pfx_password"],
        ),
        "certificate_pem": dict(
            tenant=tenant, client_id=entra["cert_app"]["client_id"], x509_certificate_path=entra["cert_app"]["cert_pem_file"]
        ),
        "workload_identity": dict(
            tenant_id=tenant,
            client_id=entra["workload_app"]["client_id"],
            federated_token_file=entra["workload_app"]["token_file"],
        ),
        "msi_system": dict(auth_source="msi"),
        "msi_user": dict(managed_identity=mi["user_assigned"]["client_id"]),
        "access_token": dict(access_token=_storage_token(env)),
        "cli": dict(auth_source="cli", tenant_id=tenant),
    }[kind]
    expected_app = {
        "certificate_pfx": entra["cert_app"]["client_id"],
        "certificate_pem": entra["cert_app"]["client_id"],
        "workload_identity": entra["workload_app"]["client_id"],
        "msi_system": mi["client_id"],
        "msi_user": mi["user_assigned"]["client_id"],
        "access_token": entra["secret_app"]["client_id"],
        "cli": entra["secret_app"]["client_id"],
    }[kind]
    if kind == "cli":
        bindir = _fake_az(tmp_path, _storage_token(env))
        monkeypatch.setenv("PATH", "%s%s%s" % (bindir, os.pathsep, os.environ["PATH"]))
    client = client_for(Host(**base_params(azurite_oauth, **options)))
    round_trip(client, azurite_oauth)
    claims = client.transport.auth.last_token_claims
    assert claims["appid"] == expected_app and claims["aud"].rstrip("/") == "https://storage.azure.com"
    if kind == "cli":
        argv = [json.loads(line) for line in (bindir / "argv.log").read_text().splitlines()]
        assert argv[0] == [
            "account",
            "get-access-token",
            "--output",
            "json",
            "--resource",
            "https://storage.azure.com",
            "--tenant",
            tenant,
        ]
        assert len(argv) == 1, "the CLI token is cached for the run"


def test_wrong_audience_is_refused_by_azurite_and_explained(env, azurite_oauth):
    """Azurite checks the audience: a Key Vault token fails, and the failure says which scope storage wants."""
    app = env.info["entra"]["secret_app"]
    vault = EntraAuth(
        "https://vault.azure.net/.default",
        tenant_id=env.info["tenant_id"],
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        verify=env.ca_file,
    ).token()
    client = client_for(Host(**base_params(azurite_oauth, access_token=vault)))
    with pytest.raises(AuthenticationError) as exc:
        client.create_container("never-%s" % uuid.uuid4().hex[:8])
    assert exc.value.status in (401, 403)
    assert exc.value.to_result()["authentication_error_detail"] == "Invalid token audience."
    assert "audience https://vault.azure.net, not for storage: use the scope https://storage.azure.com/.default" in exc.value.msg
    assert vault not in exc.value.msg


# -- Microsoft's SDKs as oracles -------------------------------------------------------------------------------------------
def _token_requests(monkeypatch) -> list[dict]:
    """Record every token POST (URL and form fields) that goes through requests, whoever sends it."""
    import requests.adapters

    seen: list[dict] = []
    original = requests.adapters.HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        if request.method == "POST" and "/oauth2/" in request.url:
            body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
            seen.append({"url": request.url.split("?")[0], "form": dict(parse_qsl(body))})
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return seen


def test_token_request_and_storage_calls_match_the_sdks(env, azurite_oauth, monkeypatch):
    """azure-identity's ClientSecretCredential asks the same token endpoint for the same scope with the same form
    fields as we do; azure-storage-blob with that credential and our module client see the same containers."""
    from azure.identity import ClientSecretCredential
    from azure.storage.blob import BlobServiceClient

    seen = _token_requests(monkeypatch)
    creds = secret_app(env)
    name = round_trip(client_for(Host(**base_params(azurite_oauth, **creds))), azurite_oauth)
    credential = ClientSecretCredential(creds["tenant_id"], creds["client_id"], creds["client_secret"])
    sdk = BlobServiceClient(azurite_oauth.blob_endpoint, credential=credential, connection_verify=str(azurite_oauth.ca_bundle))
    assert name in [c.name for c in sdk.list_containers()]
    assert sdk.get_blob_client(name, "hello.txt").download_blob().readall().startswith(b"hello from entra")
    ours, theirs = seen[0], seen[-1]
    assert len(seen) == 2, seen
    assert ours["url"] == theirs["url"] == "https://login.microsoftonline.com/%s/oauth2/v2.0/token" % creds["tenant_id"]
    for field in ("grant_type", "client_id", "scope", "client_secret"):
        assert ours["form"][field] == theirs["form"][field], field
    assert ours["form"]["scope"] == STORAGE_SCOPE and ours["form"]["grant_type"] == "client_credentials"


def _udk_from_dict(key: dict):
    from azure.storage.blob import UserDelegationKey

    udk = UserDelegationKey()
    for name in ("signed_oid", "signed_tid", "signed_start", "signed_expiry", "signed_service", "signed_version", "value"):
        setattr(udk, name, key[name])
    return udk


def test_user_delegation_key_and_sas_match_the_sdk(env, azurite_oauth):
    """Get User Delegation Key by us and by azure-storage-blob give the same key (Azurite derives it from oid, tid,
    start, expiry and version); a SAS signed by us and by generate_blob_sas/generate_container_sas with that key is
    the same query, and Azurite accepts it from a client without any credential."""
    from azure.identity import ClientSecretCredential
    from azure.storage.blob import BlobServiceClient, generate_blob_sas, generate_container_sas
    from azure.storage.blob._shared.constants import X_MS_VERSION

    creds = secret_app(env)
    host = Host(**base_params(azurite_oauth, **creds))
    client = client_for(host)
    name = round_trip(client, azurite_oauth)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    start, expiry = now - dt.timedelta(minutes=15), now + dt.timedelta(hours=1)
    key = get_user_delegation_key(
        client.transport, azurite_oauth.blob_endpoint, sas_signing.format_time(start), sas_signing.format_time(expiry)
    )
    sdk_service = BlobServiceClient(
        azurite_oauth.blob_endpoint,
        credential=ClientSecretCredential(creds["tenant_id"], creds["client_id"], creds["client_secret"]),
        connection_verify=str(azurite_oauth.ca_bundle),
    )
    sdk_key = sdk_service.get_user_delegation_key(start, expiry)
    assert key == {n: getattr(sdk_key, n) for n in key}
    assert key["signed_oid"] == client.transport.auth.last_token_claims["oid"]
    udk = _udk_from_dict(key)
    cases = [
        (
            "hello.txt",
            "r",
            generate_blob_sas(
                azurite_oauth.account,
                name,
                "hello.txt",
                user_delegation_key=udk,
                permission="r",
                expiry=expiry,
                ip="127.0.0.1",
                protocol="https",
            ),
        ),
        (
            None,
            "rl",
            generate_container_sas(
                azurite_oauth.account, name, user_delegation_key=udk, permission="rl", expiry=expiry, protocol="https"
            ),
        ),
    ]
    for blob, perms, sdk_token in cases:
        ours = sas_signing.user_delegation_sas(
            azurite_oauth.account, key, name, blob, perms, expiry, ip="127.0.0.1" if blob else "", version=X_MS_VERSION
        )
        assert parse_qs(ours) == parse_qs(sdk_token)
        url = client.url(name, blob) if blob else client.url(name, query={"restype": "container", "comp": "list"})
        sep = "&" if "?" in url else "?"
        resp = requests_get(url + sep + ours, azurite_oauth)
        assert resp.status_code == 200, resp.text


def requests_get(url: str, azurite_oauth, method: str = "GET", **kwargs):
    """A client with no credential at all (the SAS in the URL is everything)."""
    import requests

    kwargs.setdefault("headers", {})["x-ms-version"] = "2023-11-03"
    return requests.request(method, url, verify=str(azurite_oauth.ca_bundle), timeout=30, **kwargs)


# -- the storage_sas lookup: user delegation SAS and stored access policy ----------------------------------------------
def lookup_opts(azurite_oauth, **extra) -> dict:
    """The lookup's options as its documentation defaults them."""
    opts = dict.fromkeys(storage_sas.ACCOUNT_OPTIONS + storage_sas.ENTRA_OPTIONS + storage_sas.SAS_OPTIONS)
    opts.update(timeout=60, retries=3, validate_certs=True, auth_source="auto", protocol="https", output="url")
    opts.update(sas_type="service", storage_auth="auto", services="b", resource_types="co")
    opts.update(base_params(azurite_oauth))
    opts.update(extra)
    return opts


def test_lookup_user_delegation_sas_for_a_sas_only_client(env, azurite_oauth):
    name = round_trip(shared_key_client(azurite_oauth), azurite_oauth)
    creds = secret_app(env)
    # auto: no account key, an Entra credential -> a user delegation SAS
    url = storage_sas.generate(lookup_opts(azurite_oauth, container=name, blob="hello.txt", expiry="30m", **creds))
    query = parse_qs(urlsplit(url).query)
    assert {"skoid", "sktid", "skt", "ske", "sks", "skv", "sig"} <= set(query) and query["sr"] == ["b"]
    assert query["skoid"] == [env.info["entra"]["secret_app"]["object_id"]] and query["sktid"] == [creds["tenant_id"]]
    read = requests_get(url, azurite_oauth)
    assert read.status_code == 200 and read.content.startswith(b"hello from entra")
    # a container SAS (read, list) used by the collection's own SAS client, and a write it does not grant
    token = storage_sas.generate(
        lookup_opts(azurite_oauth, container=name, permissions="rl", storage_auth="entra", output="token", **creds)
    )
    sas_client = client_for(Host(**base_params(azurite_oauth, sas_token=token)))
    assert sas_client.transport.auth.name == "sas"
    assert [b["name"] for b in sas_client.list_blobs(name)["blobs"]] == ["hello.txt"]
    refused = requests_get(
        sas_client.url(name, "new.txt") + "?" + token, azurite_oauth, "PUT", data=b"x", headers={"x-ms-blob-type": "BlockBlob"}
    )
    assert refused.status_code == 403 and refused.headers["x-ms-error-code"] == "AuthorizationPermissionMismatch"
    tampered = url.replace(query["sig"][0].replace("+", "%2B").replace("/", "%2F").replace("=", "%3D"), "A" * 43 + "%3D")
    assert requests_get(tampered, azurite_oauth).status_code == 403


def test_lookup_user_delegation_errors(env, azurite_oauth):
    creds = secret_app(env)
    base = lookup_opts(azurite_oauth, container="cnt", sas_type="user_delegation", **creds)
    with pytest.raises(ConfigError, match="^expiry: a user delegation SAS is valid for at most 7 days"):
        storage_sas.generate(dict(base, expiry="8d"))
    with pytest.raises(ConfigError, match="^policy_id: a user delegation SAS cannot use a stored access policy"):
        storage_sas.generate(dict(base, policy_id="readers"))
    with pytest.raises(ConfigError, match="^storage_auth: an account SAS is signed with the account key"):
        storage_sas.generate(dict(base, sas_type="account", storage_auth="entra"))
    http = dict(base, endpoint="http://127.0.0.1:10000/devstoreaccount1")
    with pytest.raises(ConfigError, match="^storage_auth=entra: http://.* is not https"):
        storage_sas.generate(http)


def test_lookup_stored_access_policy_sas(env, azurite_oauth):
    """A service SAS bound to a stored access policy (si): permissions and expiry come from the policy."""
    check = shared_key_client(azurite_oauth)
    name = round_trip(check, azurite_oauth)
    expiry = sas_signing.format_time(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    acl = (
        '<?xml version="1.0" encoding="utf-8"?><SignedIdentifiers><SignedIdentifier><Id>readers</Id><AccessPolicy>'
        "<Expiry>%s</Expiry><Permission>rl</Permission></AccessPolicy></SignedIdentifier></SignedIdentifiers>" % expiry
    )
    check.transport.request(
        "PUT", check.url(name, query={"restype": "container", "comp": "acl"}), data=acl.encode(), expected_status=(200,)
    )
    token = storage_sas.generate(
        lookup_opts(azurite_oauth, container=name, policy_id="readers", account_key=azurite_oauth.key, output="token")
    )
    query = parse_qs(token)
    assert query["si"] == ["readers"] and "sp" not in query and "se" not in query
    listed = requests_get(check.url(name, query={"restype": "container", "comp": "list"}) + "&" + token, azurite_oauth)
    assert listed.status_code == 200 and "hello.txt" in listed.text
    refused = requests_get(
        check.url(name, "other.txt") + "?" + token, azurite_oauth, "PUT", data=b"x", headers={"x-ms-blob-type": "BlockBlob"}
    )
    assert refused.status_code == 403
    unknown = storage_sas.generate(
        lookup_opts(azurite_oauth, container=name, policy_id="nobody", account_key=azurite_oauth.key, output="token")
    )
    assert requests_get(check.url(name, "hello.txt") + "?" + unknown, azurite_oauth).status_code == 403


# -- the modules through ansible-playbook -------------------------------------------------------------------------------
def _play(tasks: list, defaults: dict) -> list:
    return [
        {
            "name": "Storage with Entra ID",
            "hosts": "localhost",
            "gather_facts": False,
            "module_defaults": {"group/signet.azure.storage": defaults},
            "tasks": tasks,
        }
    ]


def _playbook_env(twin, azurite_oauth, home: Path, extra: dict | None = None) -> dict:
    env = dict(twin.env, REQUESTS_CA_BUNDLE=str(azurite_oauth.ca_bundle), SSL_CERT_FILE=str(azurite_oauth.ca_bundle))
    env["HOME"] = str(home)
    for name in ENV_TO_CLEAR:
        env[name] = ""  # set but empty, as AWX renders an input left empty: counts as unset
    env.update(extra or {})
    return env


def test_modules_with_awx_environment(env, azurite_oauth, tmp_path):
    """AWX's built-in Azure credential (AZURE_CLIENT_ID / AZURE_SECRET / AZURE_TENANT / AZURE_SUBSCRIPTION_ID, an
    empty AZURE_CLOUD_ENVIRONMENT) drives the storage modules, request and the lookup unchanged: the tasks name only
    the account, the endpoint and the CA. Check mode writes nothing; every result is verified with Shared Key."""
    import yaml

    app = env.info["entra"]["secret_app"]
    name = "awx-%s" % uuid.uuid4().hex[:8]
    dest = tmp_path / "downloaded.txt"
    defaults = dict(endpoint=azurite_oauth.blob_endpoint, ca_bundle=str(azurite_oauth.ca_bundle))
    tasks = [
        {"name": "Create in check mode", "signet.azure.storage_container": {"name": name}, "check_mode": True, "register": "c0"},
        {"name": "Create", "signet.azure.storage_container": {"name": name}, "register": "c1"},
        {"name": "Again", "signet.azure.storage_container": {"name": name}, "register": "c2"},
        {"name": "Upload", "signet.azure.storage_blob": {"container": name, "name": "a.txt", "content": "entra"}},
        {"name": "List", "signet.azure.storage_blob_info": {"container": name}, "register": "listing"},
        {"name": "Download", "signet.azure.storage_blob_download": {"container": name, "name": "a.txt", "dest": str(dest)}},
        {
            "name": "request with storage_auth entra",
            "signet.azure.request": {"path": "/%s?restype=container&comp=list" % name, "storage_auth": "entra"},
            "register": "raw",
        },
        {
            "name": "A user delegation SAS from the same environment",
            "ansible.builtin.set_fact": {
                "sas_url": "{{ lookup('signet.azure.storage_sas', endpoint=%r, ca_bundle=%r, container=%r, blob='a.txt', "
                "expiry='10m') }}" % (azurite_oauth.blob_endpoint, str(azurite_oauth.ca_bundle), name)
            },
            "no_log": True,
        },
        {
            "name": "Read it without any credential",
            "ansible.builtin.uri": {"url": "{{ sas_url }}", "ca_path": str(azurite_oauth.ca_bundle), "return_content": True},
            "register": "via_sas",
            "no_log": True,
        },
        {
            "name": "Outcome",
            "ansible.builtin.assert": {
                "that": [
                    "c0 is changed",
                    "c1 is changed",
                    "c2 is not changed",
                    "listing.blobs | map(attribute='name') | list == ['a.txt']",
                    "'a.txt' in raw.content.EnumerationResults.Blobs.Blob.Name",
                    "via_sas.content == 'entra'",
                    "'skoid=' in sas_url",
                ]
            },
        },
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(_play(tasks, defaults), sort_keys=False))
    awx = {
        "AZURE_CLIENT_ID": app["client_id"],
        "AZURE_SECRET": app["client_secret"],
        "AZURE_TENANT": env.info["tenant_id"],
        "AZURE_SUBSCRIPTION_ID": env.info["subscription_id"],
        "AZURE_STORAGE_ACCOUNT": azurite_oauth.account,
    }
    rc, results, stdout, stderr = run_playbook(
        playbook, env=_playbook_env(env, azurite_oauth, tmp_path, awx), verbosity=4, tmp=tmp_path
    )
    assert rc == 0, json.dumps(failures(results), indent=1, default=str)[:6000] + stderr[-3000:]
    assert app["client_secret"] not in stdout + stderr
    assert "eyJ" not in stdout + stderr, "a token (JWT) was printed"
    assert dest.read_bytes() == b"entra"
    check = shared_key_client(azurite_oauth)
    assert [b["name"] for b in check.list_blobs(name)["blobs"]] == ["a.txt"]


def test_azcollection_habits_in_playbooks(env, azurite_oauth, tmp_path):
    """~/.azure/credentials with auth_source=credential_file and profile, the tenant/secret/cloud_environment aliases,
    auth_source=cli with a fake az, and a clear failure when az is missing."""
    import yaml

    app = env.info["entra"]["secret_app"]
    (tmp_path / ".azure").mkdir()
    (tmp_path / ".azure" / "credentials").write_text(
        "[default]\nclient_id = wrong\nsecret = wrong\ntenant = wrong\n\n[ci]\nclient_id = %s\nsecret = %s\ntenant = %s\n"
        "subscription_id = %s\ncloud_environment = AzureCloud\n\n[china]\nclient_id = %s\nsecret = %s\ntenant = %s\n"
        "cloud_environment = AzureChinaCloud\n"
        % (
            (app["client_id"], app["client_secret"], env.info["tenant_id"], env.info["subscription_id"])
            + (app["client_id"], app["client_secret"], env.info["tenant_id"])
        )
    )
    bindir = _fake_az(tmp_path, _storage_token(env))
    defaults = dict(
        account_name=azurite_oauth.account, endpoint=azurite_oauth.blob_endpoint, ca_bundle=str(azurite_oauth.ca_bundle)
    )
    path_with_az = "%s:%s" % (bindir, os.environ["PATH"])
    tasks = [
        {"name": "Profile", "signet.azure.storage_container_info": {"auth_source": "credential_file", "profile": "ci"}},
        {
            "name": "Aliases",
            "signet.azure.storage_container_info": {
                "tenant": env.info["tenant_id"],
                "client_id": app["client_id"],
                "secret": app["client_secret"],
                "cloud_environment": "AzurePublicCloud",
            },
        },
        {
            "name": "Azure CLI",
            "signet.azure.storage_container_info": {"auth_source": "cli"},
            "environment": {"PATH": path_with_az},
        },
        {
            "name": "Key Vault in the cloud of the profile (cloud_environment of ~/.azure/credentials)",
            "signet.azure.keyvault_secret_info": {"auth_source": "credential_file", "profile": "china", "vault_name": "signetkv"},
            "register": "china_vault",
        },
        {
            "name": "No Azure CLI",
            "signet.azure.storage_container_info": {"auth_source": "cli"},
            "environment": {"PATH": str(tmp_path / "empty-bin")},
            "register": "no_az",
            "ignore_errors": True,
        },
        {
            "name": "Outcome",
            "ansible.builtin.assert": {
                "that": [
                    "no_az is failed",
                    "'the Azure CLI (az) is not installed' in no_az.msg",
                    "'auth_source' in no_az.msg",
                    "china_vault is succeeded",
                ]
            },
        },
    ]
    playbook = tmp_path / "habits.yml"
    playbook.write_text(yaml.safe_dump(_play(tasks, defaults), sort_keys=False))
    rc, results, stdout, stderr = run_playbook(
        playbook, env=_playbook_env(env, azurite_oauth, tmp_path), verbosity=4, tmp=tmp_path
    )
    assert rc == 0, json.dumps(failures(results), indent=1, default=str)[:6000] + stderr[-3000:]
    assert app["client_secret"] not in stdout + stderr
    assert "eyJ" not in stdout + stderr
    assert (bindir / "argv.log").read_text().count("get-access-token") == 1
    hosts = {r["host"] for r in env.requests_log()}
    assert {"login.chinacloudapi.cn", "signetkv.vault.azure.cn"} <= hosts, hosts
