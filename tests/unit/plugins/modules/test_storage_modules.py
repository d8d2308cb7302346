# SPDX-License-Identifier: GPL-3.0-or-later
"""The storage_* modules in-process (exit/fail raised) against Azurite: check mode, idempotence, bad input; and the
storage_sas lookup's generate() (pure)."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.signet.azure.plugins.lookup.storage_sas import generate, parse_when
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError
from ansible_collections.signet.azure.plugins.module_utils._signing import sas as sas_signing
from ansible_collections.signet.azure.plugins.modules import storage_blob, storage_blob_sync, storage_container

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.fixture
def conn(azurite):
    return dict(account_name=azurite.account, account_key=azurite.key, endpoint=azurite.blob_endpoint, retries=0)


def test_bad_container_name_fails_offline(run):
    kind, result = run(
        storage_blob,
        dict(
            account_name="devstoreaccount1",
            account_key=KEY,
            endpoint="http://127.0.0.1:9/devstoreaccount1",
            container="Bad_Name",
            name="x",
            content="x",
        ),
    )
    assert kind == "fail" and result["msg"].startswith("container: ") and "status" not in result


def test_container_then_blob_check_mode_idempotence(run, conn, tmp_path):
    c = "mod-" + uuid.uuid4().hex[:8]
    assert run(storage_container, dict(conn, name=c, _ansible_check_mode=True))[1]["changed"] is True
    kind, result = run(storage_container, dict(conn, name=c, metadata={"a": "1"}))
    assert kind == "exit" and result["changed"] and result["container"]["metadata"] == {"a": "1"}
    assert run(storage_container, dict(conn, name=c, metadata={"A": "1"}))[1]["changed"] is False
    try:
        args = dict(conn, container=c, name="x.txt", content="hello", metadata={"k": "v"})
        kind, result = run(storage_blob, dict(args, _ansible_check_mode=True))
        assert kind == "exit" and result["changed"] and result["blob"] is None
        kind, result = run(storage_blob, args)
        assert result["action"] == "created" and result["blob"]["properties"]["content_type"] == "text/plain"
        kind, result = run(storage_blob, args)
        assert result["changed"] is False and result["plan"]["reason"] == "same length and MD5"
        kind, result = run(storage_blob, dict(args, content="hello!"))
        assert result["action"] == "replaced" and result["blob"]["metadata"] == {"k": "v"}

        site = tmp_path / "site"
        (site / "d").mkdir(parents=True)
        (site / "d" / "f.txt").write_text("f")
        (site / "g.tmp").write_text("g")
        sync = dict(conn, container=c, path=str(site), prefix="s", exclude=["*.tmp"])
        kind, result = run(storage_blob_sync, dict(sync, _ansible_check_mode=True))
        assert result["uploaded"] == ["d/f.txt"] and result["changed"]
        assert run(storage_blob_sync, sync)[1]["uploaded"] == ["d/f.txt"]
        assert run(storage_blob_sync, sync)[1]["changed"] is False
        down = tmp_path / "down"
        assert run(storage_blob_sync, dict(sync, path=str(down), direction="download"))[1]["downloaded"] == ["d/f.txt"]
        assert (down / "d" / "f.txt").read_text() == "f"
    finally:
        run(storage_container, dict(conn, name=c, state="absent"))
    assert run(storage_container, dict(conn, name=c, state="absent"))[1]["changed"] is False


# -- storage_sas lookup (pure) -------------------------------------------------------------------------------------

NOW = dt.datetime(2026, 12, 2, 4, 0, 0, tzinfo=dt.timezone.utc)


def test_parse_when():
    assert parse_when("30m", "expiry", NOW) == NOW + dt.timedelta(minutes=30)
    assert parse_when("-15m", "start", NOW) == NOW - dt.timedelta(minutes=15)
    assert parse_when("2026-12-31T23:59:59Z", "expiry", NOW).isoformat() == "2026-12-31T23:59:59+00:00"
    with pytest.raises(ConfigError, match="^expiry: "):
        parse_when("tomorrow", "expiry", NOW)


def test_generate_blob_sas_matches_the_signing_module():
    url = generate(
        dict(
            account_name="devstoreaccount1",
            account_key=KEY,
            endpoint="http://127.0.0.1:10000/devstoreaccount1",
            container="cnt",
            blob="a b/ü.txt",
            expiry="1h",
        ),
        now=NOW,
    )
    parts = urlsplit(url)
    assert parts.path == "/devstoreaccount1/cnt/a%20b/%C3%BC.txt"
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q["sr"] == "b" and q["sp"] == "r" and q["spr"] == "https" and q["se"] == "2026-12-02T05:00:00Z" and "st" not in q
    expected = sas_signing.service_sas("devstoreaccount1", KEY, "cnt", "a b/ü.txt", "r", NOW + dt.timedelta(hours=1))
    assert parts.query == expected


def test_generate_account_token_and_errors():
    token = generate(
        dict(connection_string="UseDevelopmentStorage=true", sas_type="account", permissions="lr", output="token"), now=NOW
    )
    q = parse_qs(token)
    assert q["sp"] == ["rl"] and q["ss"] == ["b"] and q["srt"] == ["co"]
    base = dict(connection_string="UseDevelopmentStorage=true", container="cnt")
    with pytest.raises(ConfigError, match="^expiry: .*past"):
        generate(dict(base, expiry="2020-01-01T00:00:00Z"), now=NOW)
    with pytest.raises(ConfigError, match="^permissions: "):
        generate(dict(base, permissions="rq"), now=NOW)
    with pytest.raises(ConfigError, match="^container: "):
        generate(dict(base, container=None), now=NOW)
    with pytest.raises(ConfigError, match="account_key"):
        generate(dict(account_name="devstoreaccount1", sas_token="sv=1&sig=x", container="cnt"), now=NOW)
    with pytest.raises(ConfigError, match="^start: "):
        generate(dict(base, start="2h"), now=NOW)
    account = dict(connection_string="UseDevelopmentStorage=true", sas_type="account")
    # each letter option is named in its own error (not every ValueError labelled "permissions")
    with pytest.raises(ConfigError, match="^services: .*'z'"):
        generate(dict(account, services="bz"), now=NOW)
    with pytest.raises(ConfigError, match="^resource_types: .*'q'"):
        generate(dict(account, resource_types="q"), now=NOW)
    with pytest.raises(ConfigError, match="^permissions: .*'k'"):
        generate(dict(account, permissions="rk"), now=NOW)


def test_lookup_documents_the_account_options_from_the_fragment_with_env():
    """The lookup's account options come from doc fragment storage_auth (ACCOUNT + PLUGINS overlay), as rendered
    by ansible-doc: the fragment's description plus the lookup's environment fallbacks."""
    import json
    import os
    import subprocess
    import sys

    ansible_doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    collections = os.path.join(os.path.dirname(__file__), *[".."] * 4, "build", "collections")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.abspath(collections))
    out = subprocess.run(
        [ansible_doc, "-t", "lookup", "--json", "signet.azure.storage_sas"], capture_output=True, text=True, check=True, env=env
    ).stdout
    options = json.loads(out)["signet.azure.storage_sas"]["doc"]["options"]
    envs = {name: [e["name"] for e in options[name].get("env", [])] for name in options}
    assert envs["account_name"] == ["AZURE_STORAGE_ACCOUNT"]
    assert envs["account_key"] == ["AZURE_STORAGE_KEY"]
    assert envs["connection_string"] == ["AZURE_STORAGE_CONNECTION_STRING"]
    assert envs["endpoint"] == ["AZURE_STORAGE_BLOB_ENDPOINT"]
    assert envs["cloud"] == ["AZURE_CLOUD_ENVIRONMENT"]
    assert "3-24 lowercase" in " ".join(options["account_name"]["description"])
    assert "sas_token" not in options
    assert {"sas_type", "permissions", "expiry", "output", "storage_auth", "policy_id"} <= set(options)
    assert options["storage_auth"]["choices"] == ["auto", "shared_key", "entra"]
    # the Entra ID options come from fragment entra_auth (DOCUMENTATION + PLUGINS), in the modules' order
    assert envs["tenant_id"] == ["AZURE_TENANT", "AZURE_TENANT_ID"]
    assert envs["client_secret"] == ["AZURE_SECRET", "AZURE_CLIENT_SECRET"]
    assert options["tenant_id"]["aliases"] == ["tenant"] and options["cloud"]["aliases"] == ["cloud_environment"]
    assert "choices" not in options["cloud"]
    assert envs["ca_bundle"] == ["SIGNET_AZURE_CA_BUNDLE"]
