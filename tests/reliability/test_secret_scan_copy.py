# SPDX-License-Identifier: GPL-3.0-or-later
"""storage_blob_copy never prints the SAS of its source URL (issue 18), whatever happens, at -vvvv.

The source URL is an ordinary (not no_log) option; the module base registers the ``sig=`` value it finds there as
a secret, the results show the URL as ``sig=REDACTED``, and the service's answers (x-ms-copy-source) are masked the
same way. Cases: a copy, its idempotent rerun, check mode, a missing source (404), a SAS that cannot read the source
(403 from the copy), a wrong account key; then the secret scan over the playbook's whole output.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

from tests.reliability import _support, secret_scan
from tests.reliability._playbook import run_cases


def _sas(azurite, **perms) -> str:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas(
        azurite.account,
        azurite.key,
        resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=AccountSasPermissions(**perms),
        expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
    )


def test_copy_never_prints_the_source_sas(azurite, oracle, container, storage_args, tmp_path):
    _support.require_module("storage_blob_copy")
    oracle.get_container_client(container).upload_blob("src.txt", b"copy me\n")
    read_sas = _sas(azurite, read=True, list=True)
    no_read_sas = _sas(azurite, list=True)
    sigs = [parse_qs(s)["sig"][0] for s in (read_sas, no_read_sas)]
    _support.remember_secret(*sigs)
    base = "%s/%s/%%s?%%s" % (azurite.blob_endpoint, container)
    ok = dict(storage_args, container=container, name="dst.txt", source_url=base % ("src.txt", read_sas), mode="async")
    cases = [
        {"id": "copy_check", "module": "storage_blob_copy", "args": ok, "check_mode": True},
        {"id": "copy_ok", "module": "storage_blob_copy", "args": ok},
        {"id": "copy_again", "module": "storage_blob_copy", "args": ok},
        {"id": "copy_missing", "module": "storage_blob_copy", "args": dict(ok, source_url=base % ("none.txt", read_sas))},
        {
            "id": "copy_sas_cannot_read",
            "module": "storage_blob_copy",
            "args": dict(ok, name="dst2.txt", source_url=base % ("src.txt", no_read_sas)),
        },
        {"id": "copy_wrong_key", "module": "storage_blob_copy", "args": dict(ok, account_key=azurite.key[::-1])},
        {"id": "info_after", "module": "storage_blob_info", "args": dict(storage_args, container=container, name="dst.txt")},
    ]
    results = run_cases("copy_secrets", tmp_path, cases)
    status = {k: (v["status"], v["result"].get("changed")) for k, v in results.items()}
    assert status["copy_check"] == ("ok", True) and status["copy_ok"] == ("ok", True), status
    assert status["copy_again"] == ("ok", False), status
    for failing in ("copy_missing", "copy_sas_cannot_read", "copy_wrong_key"):
        assert status[failing][0] in ("failed", "ignored"), status
    assert "sig=REDACTED" in results["info_after"]["result"]["blob"]["properties"]["copy_source"]
    outputs = [_support.OUTPUT / "copy_secrets.log", _support.OUTPUT / "copy_secrets.results.json"]
    hits = secret_scan.scan_files(outputs, sigs + [azurite.key])
    assert not hits, hits
