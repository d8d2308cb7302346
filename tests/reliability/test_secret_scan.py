# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret scan (research facts sections 5 and 6.8).

* The scanner itself finds planted secrets (so a clean scan means something).
* One playbook forces each failure class (and the matching success) at -vvvv, with sentinel
  secrets: storage account keys, SAS sig, connection strings, client secrets, access tokens, PFX passwords, inline
  PEM private keys, Batch keys, Key Vault secret values; its full output and results must hold none of them.
* The session-wide scan of every integration target's -vvvv output runs at session end (tests/reliability/summary.py,
  hooked into tests/conftest.py) and fails the session on any hit.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import uuid
from pathlib import Path

from tests.reliability import _support, secret_scan
from tests.reliability._playbook import run_cases


def test_scanner_finds_planted_secrets(tmp_path):
    key_pem = (
        b"-----BEGIN PRIVATE KEY-----\n"
        + base64.b64encode(os.urandom(120))
        + b"\n"
        + base64.b64encode(os.urandom(60))
        + b"\n-----END PRIVATE KEY-----\n"
    )
    secret = "planted-" + uuid.uuid4().hex
    files = {
        "plain.log": "msg: the secret is %s\n" % secret,
        "urlenc.log": "url: https://x/?token=%s\n" % secret.replace("-", "%2D"),
        "sig.log": "GET https://a.blob.core.windows.net/c/b?sv=2023-11-03&sig=AbCdEfGhIjKlMnOpQrSt%2BuVwXyZ%3D\n",
        "masked.log": "GET https://a.blob.core.windows.net/c/b?sv=2023-11-03&sig=********\nAuthorization: SharedKey a:********\n",
        "sharedkey.log": "Authorization: SharedKey devstoreaccount1:q1w2e3r4t5y6u7i8o9p0AsDfGhJkL=\n",
        "pem.log": key_pem.decode(),
        "jwt.json": json.dumps({"token": "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3gifQ.c2lnbmF0dXJlLWJ5dGVz"}),
        "clean.log": "ok: [localhost] => changed=false VALUE_SPECIFIED_IN_NO_LOG_PARAMETER ********\n",
    }
    paths = []
    for name, text in files.items():
        p = tmp_path / name
        p.write_text(text)
        paths.append(p)
    hits = secret_scan.scan_files(paths, [secret, secret.replace("-", "%2D")])
    by_file = {Path(h.split(":", 1)[0]).name for h in hits}
    assert by_file == {"plain.log", "urlenc.log", "sig.log", "sharedkey.log", "pem.log", "jwt.json"}, hits
    assert not any(secret in h for h in hits), "the scan report must not print secret values"
    (tmp_path / "k.pem").write_bytes(key_pem)
    frags = secret_scan.pem_key_fragments(key_pem)
    assert frags and all(f in key_pem.decode() for f in frags)


def _account_sas(azurite, read_only: bool) -> str:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    perms = (
        AccountSasPermissions(read=True, list=True)
        if read_only
        else AccountSasPermissions(read=True, list=True, write=True, create=True)
    )
    return generate_account_sas(
        azurite.account,
        azurite.key,
        resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=perms,
        expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
    )


def test_failure_classes_leak_nothing(azurite, twin, oracle, container, tmp_path):
    """Every failure class and its success path, at -vvvv: no secret in any output.

    Not with ANSIBLE_DEBUG=1: ansible-core then prints every module's raw arguments (before no_log applies), which no
    module can prevent (see docs/docsite/rst/reliability.rst).
    """
    from urllib.parse import parse_qs

    info = twin.info
    app = info["entra"]["secret_app"]
    cert_app = info["entra"]["cert_app"]
    wrong_key = base64.b64encode(os.urandom(64)).decode()
    wrong_secret = "sentinel-secret-" + uuid.uuid4().hex
    wrong_pfx_password = "sentinel-pfx-" + uuid.uuid4().hex
    wrong_batch_key = base64.b64encode(os.urandom(64)).decode()
    kv_value = "sentinel-kv-value-" + uuid.uuid4().hex
    ro_sas = _account_sas(azurite, read_only=True)
    rw_sas = _account_sas(azurite, read_only=False)
    token = twin.control("/_twin/entra/mint", {"resource": "https://management.azure.com/"})["access_token"]
    expired = twin.control("/_twin/entra/mint", {"resource": "https://management.azure.com/", "expired": True})["access_token"]
    cert_pem = Path(cert_app["cert_pem_file"]).read_text()
    sentinels = [
        wrong_key,
        wrong_secret,
        wrong_pfx_password,
        wrong_batch_key,
        kv_value,
        token,
        expired,
        azurite.key,
        app["client_secret"],
    ]
    sentinels += [parse_qs(s)["sig"][0] for s in (ro_sas, rw_sas)]
    sentinels += [info["classic"]["pfx_password"], info["batch"]["primary_key"]]
    sentinels += secret_scan.pem_key_fragments(cert_pem.encode())
    _support.remember_secret(*sentinels)

    store = {"account_name": azurite.account, "endpoint": azurite.blob_endpoint}
    entra = {"tenant_id": info["tenant_id"], "client_id": app["client_id"], "client_secret": app["client_secret"]}
    arm_url = (
        "https://management.azure.com/subscriptions/%s/resourceGroups/signet-rg/providers/Microsoft.Compute/cloudServices/signet-cs?api-version=2024-11-04"
        % info["subscription_id"]
    )
    classic = {"subscription_id": info["classic"]["subscription_id"], "management_certificate_path": info["classic"]["pfx_file"]}
    batch = {"batch_account": info["batch"]["account"], "batch_endpoint": info["batch"]["endpoint"], "batch_auth": "shared_key"}
    kv_name = "sentinel-" + uuid.uuid4().hex[:8]
    nxt = info["arm"]["next"]["stray"]
    sentinels.append(nxt["password"])
    tasks = [
        ("storage_wrong_key", "storage_container_info", dict(store, account_key=wrong_key)),
        ("storage_key_ok", "storage_blob", dict(store, account_key=azurite.key, container=container, name="s.txt", content="x")),
        ("storage_cs_ok", "storage_container_info", {"connection_string": azurite.connection_string}),
        (
            "storage_cs_bad",
            "storage_container_info",
            {"connection_string": azurite.connection_string.replace(azurite.key, wrong_key)},
        ),
        ("storage_sas_forbidden", "storage_container", dict(store, sas_token=ro_sas, name=container + "-ro")),
        ("storage_sas_ok", "storage_blob", dict(store, sas_token=rw_sas, container=container, name="sas.txt", content="y")),
        # a SAS riding in options that are not no_log (url, a header): masked in results and invocation.module_args
        (
            "request_sas_in_url_ok",
            "request",
            {"auth": "none", "url": "%s/%s?restype=container&comp=list&%s" % (azurite.blob_endpoint, container, rw_sas)},
        ),
        (
            "request_sas_in_copy_source_ok",
            "request",
            dict(
                store,
                account_key=azurite.key,
                auth="shared_key",
                method="PUT",
                path="/%s/copied.txt" % container,
                headers={"x-ms-copy-source": "%s/%s/s.txt?%s" % (azurite.blob_endpoint, container, ro_sas)},
                status_code=[202],
            ),
        ),
        ("storage_extra_param", "storage_container_info", dict(store, account_key=azurite.key, no_such_option=True)),
        ("entra_wrong_secret", "request", dict(entra, auth="entra", url=arm_url, client_secret=wrong_secret, retries=0)),
        ("entra_secret_ok", "request", dict(entra, auth="entra", url=arm_url)),
        ("entra_token_ok", "request", {"auth": "entra", "url": arm_url, "access_token": token}),
        ("entra_token_expired", "request", {"auth": "entra", "url": arm_url, "access_token": expired}),
        (
            "entra_inline_pem_ok",
            "request",
            {
                "auth": "entra",
                "url": arm_url,
                "tenant_id": info["tenant_id"],
                "client_id": cert_app["client_id"],
                "client_certificate_content": cert_pem,
            },
        ),
        (
            "classic_pfx_wrong_password",
            "classic_storage_account_info",
            dict(classic, management_certificate_password=wrong_pfx_password),
        ),
        (
            "classic_pfx_ok",
            "classic_storage_account_info",
            dict(classic, management_certificate_password=info["classic"]["pfx_password"]),
        ),
        ("batch_wrong_key", "batch_job_info", dict(batch, batch_access_key=wrong_batch_key, retries=0)),
        ("batch_ok", "batch_job_info", dict(batch, batch_access_key=info["batch"]["primary_key"])),
        ("kv_set", "keyvault_secret", dict(entra, vault_name="signetkv", name=kv_name, value=kv_value)),
        ("kv_read", "keyvault_secret_info", dict(entra, vault_name="signetkv", name=kv_name)),
        ("kv_set_extra_param", "keyvault_secret", dict(entra, vault_name="signetkv", name=kv_name, value=kv_value, bogus=1)),
        (
            "kv_cert_wrong_password",
            "keyvault_certificate",
            dict(
                entra,
                vault_name="signetkv",
                name=kv_name + "-c",
                certificate_path=nxt["pfx_file"],
                certificate_password=wrong_pfx_password,
            ),
        ),
        (
            "kv_cert_import_ok",
            "keyvault_certificate",
            dict(
                entra,
                vault_name="signetkv",
                name=kv_name + "-c",
                certificate_path=nxt["pfx_file"],
                certificate_password=nxt["password"],
            ),
        ),
        (
            "cs_info_ok",
            "cloud_service_info",
            dict(
                entra,
                subscription_id=info["subscription_id"],
                resource_group="signet-rg",
                name="signet-cs",
                resolve_thumbprints=True,
            ),
        ),
    ]
    runnable = [t for t in tasks if _support.module_exists(t[1])]
    results = run_cases(
        "secret_scan_failure_classes",
        tmp_path,
        [{"id": cid, "module": mod, "args": args} for cid, mod, args in runnable],
        env=dict(twin.env),
    )
    expected_ok = {
        "storage_key_ok",
        "storage_cs_ok",
        "storage_sas_ok",
        "request_sas_in_url_ok",
        "request_sas_in_copy_source_ok",
        "entra_secret_ok",
        "entra_token_ok",
        "entra_inline_pem_ok",
        "classic_pfx_ok",
        "batch_ok",
        "kv_set",
        "kv_read",
        "kv_cert_import_ok",
        "cs_info_ok",
    }
    wrong = [
        (cid, results[cid]["status"], results[cid]["result"].get("msg"))
        for cid, _m, _a in runnable
        if (results[cid]["status"] == "ok") != (cid in expected_ok)
    ]
    assert not wrong, "unexpected outcomes (the scan needs both the failure and the success paths): %s" % wrong
    outputs = [_support.OUTPUT / "secret_scan_failure_classes.log", _support.OUTPUT / "secret_scan_failure_classes.results.json"]
    hits = secret_scan.scan_files(outputs, sentinels)
    assert not hits, "secrets leaked into the playbook output:\n" + "\n".join(hits)
