# SPDX-License-Identifier: GPL-3.0-or-later
"""The storage modules against the Azure twin's blob service, for what Azurite lacks (issue 18): soft delete, listing
deleted blobs, storage_blob_undelete, and storage_blob_copy with Put Blob From URL (a source SAS, or an Entra ID
copy-source token). The modules authenticate with Entra ID from AWX's environment variables, through HTTPS_PROXY to
the twin's real host names; results are verified with Microsoft's azure-storage-blob (the twin is proven against it
in tests/twin/test_twin_blob_sdk.py), never with the module under test. The -vvvv output must not hold the source SAS
signature, the client secret or a token.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from urllib.parse import parse_qs

import pytest
import yaml

from tests.helpers.playbook import failures, run_playbook
from tests.reliability import _support, secret_scan

ENV_TO_CLEAR = (
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_CLOUD_ENVIRONMENT",
    "AZURE_PROFILE",
    "ANSIBLE_AZURE_AUTH_SOURCE",
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_SAS_TOKEN",
)


@pytest.fixture
def sdk(twin, monkeypatch):
    """``(service, source_service)``: azure-storage-blob clients of the twin's two accounts (the oracle)."""
    from azure.identity import ClientSecretCredential
    from azure.storage.blob import BlobServiceClient

    for name, value in twin.env.items():
        monkeypatch.setenv(name, value)
    app = twin.info["entra"]["secret_app"]
    cred = ClientSecretCredential(twin.info["tenant_id"], app["client_id"], app["client_secret"])
    accounts = twin.info["blob"]["accounts"]
    return tuple(
        BlobServiceClient(accounts[twin.info["blob"][k]]["endpoints"]["AzureCloud"], credential=cred)
        for k in ("account", "source_account")
    )


def _env(twin, home) -> dict:
    app = twin.info["entra"]["secret_app"]
    env = dict(twin.env, HOME=str(home))
    env.update({name: "" for name in ENV_TO_CLEAR})
    env.update(AZURE_CLIENT_ID=app["client_id"], AZURE_SECRET=app["client_secret"], AZURE_TENANT=twin.info["tenant_id"])
    return env


def _source_sas(twin, container: str, blob: str) -> str:
    from azure.storage.blob import BlobSasPermissions, generate_blob_sas

    name = twin.info["blob"]["source_account"]
    return generate_blob_sas(
        name,
        container,
        blob,
        account_key=twin.info["blob"]["accounts"][name]["key"],
        permission=BlobSasPermissions(read=True),
        expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
    )


def _task(name: str, module: str, args: dict, register: str, **extra) -> dict:
    task = {"name": name, "signet.azure.%s" % module: args, "register": register}
    task.update(extra)
    return task


def _tasks(c: str, source_url: str, entra_url: str) -> list:
    blob = "storage_blob"
    return [
        _task("container", "storage_container", {"name": c}, "mk"),
        *[
            _task("upload " + n, blob, {"container": c, "name": n, "content": n}, "up_" + n.replace("/", "_").replace(".", "_"))
            for n in ("a/doc.txt", "a/img.txt", "keep.txt")
        ],
        *[
            _task(
                "delete " + n,
                blob,
                {"container": c, "name": n, "state": "absent"},
                "del_" + n.replace("/", "_").replace(".", "_"),
            )
            for n in ("a/doc.txt", "a/img.txt")
        ],
        _task("list deleted", "storage_blob_info", {"container": c, "include": ["deleted"]}, "listed"),
        _task(
            "undelete check",
            "storage_blob_undelete",
            {"container": c, "name": "a/doc.txt"},
            "u_check",
            check_mode=True,
            diff=True,
        ),
        _task("undelete", "storage_blob_undelete", {"container": c, "name": "a/doc.txt"}, "u_real", diff=True),
        _task("undelete again", "storage_blob_undelete", {"container": c, "name": "a/doc.txt"}, "u_again"),
        _task("undelete prefix", "storage_blob_undelete", {"container": c, "prefix": "a/"}, "u_prefix"),
        _task("undelete prefix again", "storage_blob_undelete", {"container": c, "prefix": ""}, "u_prefix_again"),
        _task(
            "undelete unknown", "storage_blob_undelete", {"container": c, "name": "nothing.txt"}, "u_unknown", ignore_errors=True
        ),
        _task(
            "copy sync check",
            "storage_blob_copy",
            {"container": c, "name": "copy.txt", "source_url": source_url},
            "cp_check",
            check_mode=True,
        ),
        _task(
            "copy sync",
            "storage_blob_copy",
            {"container": c, "name": "copy.txt", "source_url": source_url, "tags": {"via": "sas"}},
            "cp",
        ),
        _task("copy sync again", "storage_blob_copy", {"container": c, "name": "copy.txt", "source_url": source_url}, "cp_again"),
        _task("copy with entra", "storage_blob_copy", {"container": c, "name": "entra.txt", "source_url": entra_url}, "cp_entra"),
        _task(
            "copy with entra again",
            "storage_blob_copy",
            {"container": c, "name": "entra.txt", "source_url": entra_url},
            "cp_entra_again",
        ),
        _task(
            "copy without SAS nor entra",
            "storage_blob_copy",
            {"container": c, "name": "x.txt", "source_url": entra_url, "source_auth": "none"},
            "cp_denied",
            ignore_errors=True,
        ),
    ]


def _check(r: dict) -> None:
    deleted = {b["name"] for b in r["listed"]["blobs"] if b.get("deleted")}
    assert deleted == {"a/doc.txt", "a/img.txt"}, r["listed"]["blobs"]
    assert r["u_check"]["changed"] and r["u_check"]["undeleted"] == ["a/doc.txt"]
    assert r["u_real"]["changed"] and r["u_real"]["diff"]["after"] == "a/doc.txt\n"
    assert not r["u_again"]["changed"] and r["u_prefix"]["undeleted"] == ["a/img.txt"]
    assert not r["u_prefix_again"]["changed"]
    assert r["u_unknown"]["status_"] == "ignored" and "soft delete" in r["u_unknown"]["msg"]
    assert r["cp_check"]["changed"] and r["cp"]["changed"] and r["cp"]["copy_operation"]["mode"] == "sync"
    assert "sig=REDACTED" in r["cp"]["source"]
    assert not r["cp_again"]["changed"] and r["cp_again"]["plan"]["reason"] == "same length and MD5 as the source"
    assert r["cp_entra"]["changed"] and r["cp_entra"]["copy_operation"]["mode"] == "sync"
    assert not r["cp_entra_again"]["changed"]
    assert r["cp_denied"]["status_"] == "ignored" and "does not exist (or the SAS" in r["cp_denied"]["msg"]


def test_undelete_and_copy_from_url_against_the_twin(twin, sdk, tmp_path):
    service, source = sdk
    c = "tw-" + uuid.uuid4().hex[:10]
    src = source.create_container("src-" + uuid.uuid4().hex[:10])
    src.upload_blob("report.txt", b"a report worth copying\n")
    sas = _source_sas(twin, src.container_name, "report.txt")
    sig = parse_qs(sas)["sig"][0]
    _support.remember_secret(sig)
    entra_url = src.get_blob_client("report.txt").url
    play = [
        {
            "name": "Undelete and copy against the twin",
            "hosts": "localhost",
            "gather_facts": False,
            "module_defaults": {"group/signet.azure.storage": {"account_name": twin.info["blob"]["account"]}},
            "tasks": _tasks(c, entra_url + "?" + sas, entra_url),
        }
    ]
    playbook = tmp_path / "twin_blob.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    rc, results, stdout, stderr = run_playbook(playbook, env=_env(twin, tmp_path), verbosity=4, tmp=tmp_path)
    log = _support.save_output("twin_blob.log", stdout + "\n----- stderr -----\n" + stderr)
    assert rc == 0, json.dumps(failures(results), indent=1, default=str)[:6000] + stderr[-3000:]
    registered = {r["task"]: dict(r["result"], status_=r["status"]) for r in results}
    by_register = {t["register"]: registered[t["name"]] for t in play[0]["tasks"]}
    _check(by_register)
    cc = service.get_container_client(c)
    assert sorted(b.name for b in cc.list_blobs()) == ["a/doc.txt", "a/img.txt", "copy.txt", "entra.txt", "keep.txt"]
    assert cc.download_blob("a/doc.txt").readall() == b"a/doc.txt"
    assert cc.download_blob("copy.txt").readall() == b"a report worth copying\n"
    assert cc.get_blob_client("copy.txt").get_blob_tags() == {"via": "sas"}
    assert cc.get_blob_client("entra.txt").get_blob_properties().content_settings.content_md5
    app = twin.info["entra"]["secret_app"]
    hits = secret_scan.scan_files([log], [sig, app["client_secret"]])
    assert not hits, hits
