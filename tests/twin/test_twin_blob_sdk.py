# SPDX-License-Identifier: GPL-3.0-or-later
"""Proof of honesty for the twin's blob service (tools/azure_twin/blob.py): Microsoft's azure-storage-blob, unchanged,
with azure-identity credentials and SAS tokens it makes itself, works against it through HTTPS_PROXY (fixture
``twin_env``): soft delete, List Blobs with ``include=deleted``, Undelete Blob, the delete retention policy, and Put
Blob From URL with a source SAS or an Entra ID copy-source token. The raw checks use plain ``requests``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.storage.blob import (
    AccountSasPermissions,
    BlobSasPermissions,
    BlobServiceClient,
    ContentSettings,
    ResourceTypes,
    RetentionPolicy,
    generate_account_sas,
    generate_blob_sas,
)

SCOPE = "https://storage.azure.com/.default"


def _cred(twin):
    app = twin.info["entra"]["secret_app"]
    return ClientSecretCredential(twin.info["tenant_id"], app["client_id"], app["client_secret"])


def _account(twin, which="account"):
    name = twin.info["blob"][which]
    return name, twin.info["blob"]["accounts"][name]


def _service(twin, which="account", credential=None):
    name, acct = _account(twin, which)
    return BlobServiceClient(acct["endpoints"]["AzureCloud"], credential=credential or _cred(twin))


def _container(service):
    name = "sdk-" + uuid.uuid4().hex[:10]
    return service.create_container(name)


def test_no_credential_gets_the_challenge(twin_env):
    name, acct = _account(twin_env)
    url = acct["endpoints"]["AzureCloud"] + "/anything?restype=container"
    resp = requests.get(
        url, headers={"x-ms-version": "2023-11-03"}, proxies=twin_env.proxies, verify=twin_env.ca_file, timeout=30
    )
    assert resp.status_code == 401 and resp.headers["x-ms-error-code"] == "NoAuthenticationInformation"
    assert "resource_id=https://storage.azure.com" in resp.headers["WWW-Authenticate"]
    arm = _cred(twin_env).get_token("https://management.azure.com/.default").token
    resp = requests.get(
        url,
        headers={"x-ms-version": "2023-11-03", "Authorization": "Bearer " + arm},
        proxies=twin_env.proxies,
        verify=twin_env.ca_file,
        timeout=30,
    )
    assert resp.status_code == 401 and resp.headers["x-ms-error-code"] == "InvalidAuthenticationInfo"
    assert resp.text.startswith('<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidAuthenticationInfo</Code>')


def test_soft_delete_list_deleted_and_undelete(twin_env):
    service = _service(twin_env)
    policy = service.get_service_properties()["delete_retention_policy"]
    assert policy.enabled and policy.days == twin_env.info["blob"]["retention_days"]
    cc = _container(service)
    cc.upload_blob("a/doc.txt", b"first", content_settings=ContentSettings(content_type="text/plain"), metadata={"k": "v"})
    cc.upload_blob("b.txt", b"stays")
    cc.delete_blob("a/doc.txt")
    with pytest.raises(ResourceNotFoundError):
        cc.get_blob_client("a/doc.txt").get_blob_properties()
    assert [b.name for b in cc.list_blobs()] == ["b.txt"]
    listed = {b.name: b for b in cc.list_blobs(include=["deleted", "metadata"])}
    assert listed["a/doc.txt"].deleted and listed["a/doc.txt"].deleted_time is not None
    assert listed["a/doc.txt"].remaining_retention_days == policy.days
    assert listed["a/doc.txt"].metadata == {"k": "v"} and not listed["b.txt"].deleted
    cc.get_blob_client("a/doc.txt").undelete_blob()
    assert cc.download_blob("a/doc.txt").readall() == b"first"
    props = cc.get_blob_client("a/doc.txt").get_blob_properties()
    assert props.content_settings.content_type == "text/plain" and props.metadata == {"k": "v"}
    assert [b.name for b in cc.list_blobs(include=["deleted"])] == ["a/doc.txt", "b.txt"]
    cc.get_blob_client("b.txt").undelete_blob()  # not deleted: no change, no error
    with pytest.raises(ResourceNotFoundError):
        cc.get_blob_client("never.txt").undelete_blob()


def test_retention_policy_off_deletes_for_good(twin_env):
    service = _service(twin_env, "source_account")
    service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=False))
    try:
        assert not service.get_service_properties()["delete_retention_policy"].enabled
        cc = _container(service)
        cc.upload_blob("gone.txt", b"x")
        cc.delete_blob("gone.txt")
        assert list(cc.list_blobs(include=["deleted"])) == []
    finally:
        service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=True, days=7))
    assert service.get_service_properties()["delete_retention_policy"].days == 7


def test_put_blob_from_url_with_a_source_sas(twin_env):
    src_service = _service(twin_env, "source_account")
    src_name, src_acct = _account(twin_env, "source_account")
    src = _container(src_service)
    data = b"copy me across accounts\n" * 100
    src.upload_blob("report.txt", data, content_settings=ContentSettings(content_type="text/plain", cache_control="no-cache"))
    sas = generate_blob_sas(
        src_name,
        src.container_name,
        "report.txt",
        account_key=src_acct["key"],
        permission=BlobSasPermissions(read=True),
        expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
    )
    source_url = "%s/%s/report.txt?%s" % (src_acct["endpoints"]["AzureCloud"], src.container_name, sas)
    dst = _container(_service(twin_env))
    md5 = hashlib.md5(data).digest()
    dst.get_blob_client("copy.txt").upload_blob_from_url(source_url, source_content_md5=md5, tags={"from": "twin"})
    assert dst.download_blob("copy.txt").readall() == data
    props = dst.get_blob_client("copy.txt").get_blob_properties()
    assert props.content_settings.content_type == "text/plain" and props.content_settings.cache_control == "no-cache"
    assert dst.get_blob_client("copy.txt").get_blob_tags() == {"from": "twin"}
    with pytest.raises(HttpResponseError) as wrong_md5:
        dst.get_blob_client("bad.txt").upload_blob_from_url(source_url, source_content_md5=hashlib.md5(b"x").digest())
    assert wrong_md5.value.error_code == "Md5Mismatch"
    tampered = source_url.replace("sig=", "sig=AAAA")
    with pytest.raises(HttpResponseError) as denied:
        dst.get_blob_client("bad.txt").upload_blob_from_url(tampered)
    assert denied.value.status_code == 403 and denied.value.error_code == "CannotVerifyCopySource"
    with pytest.raises(HttpResponseError) as missing:
        dst.get_blob_client("bad.txt").upload_blob_from_url(source_url.replace("report.txt", "none.txt"))
    assert missing.value.status_code in (403, 404) and missing.value.error_code == "CannotVerifyCopySource"


def test_put_blob_from_url_with_an_entra_copy_source_token(twin_env):
    src = _container(_service(twin_env, "source_account"))
    src.upload_blob("in.bin", b"\x00\x01binary")
    dst = _container(_service(twin_env))
    token = _cred(twin_env).get_token(SCOPE).token
    dst.get_blob_client("out.bin").upload_blob_from_url(src.get_blob_client("in.bin").url, source_authorization="Bearer " + token)
    assert dst.download_blob("out.bin").readall() == b"\x00\x01binary"
    with pytest.raises(HttpResponseError) as no_auth:
        dst.get_blob_client("out2.bin").upload_blob_from_url(src.get_blob_client("in.bin").url)
    assert no_auth.value.error_code == "CannotVerifyCopySource"


def test_account_sas_and_ranges(twin_env):
    name, acct = _account(twin_env)
    cc = _container(_service(twin_env))
    cc.upload_blob("r.bin", bytes(range(256)) * 4)
    sas = generate_account_sas(
        name,
        acct["key"],
        resource_types=ResourceTypes(container=True, object=True),
        permission=AccountSasPermissions(read=True, list=True),
        expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
    )
    via_sas = BlobServiceClient(acct["endpoints"]["AzureCloud"], credential=sas).get_container_client(cc.container_name)
    assert [b.name for b in via_sas.list_blobs()] == ["r.bin"]
    assert via_sas.download_blob("r.bin", offset=10, length=5).readall() == bytes(range(10, 15))
    assert base64.b64encode(via_sas.get_blob_client("r.bin").get_blob_properties().content_settings.content_md5).decode()
    with pytest.raises(HttpResponseError) as denied:
        via_sas.upload_blob("w.txt", b"no write permission")
    assert denied.value.status_code == 403
