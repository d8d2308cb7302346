# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the pure Cloud Service rotation plan (plugins/module_utils/_plans/cloud_service.py)."""

from __future__ import annotations

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients.cloud_service import parse_secret_url
from ansible_collections.signet.azure.plugins.module_utils._plans import cloud_service as cs
from ansible_collections.signet.azure.plugins.module_utils._plans.cloud_service import (
    diff_text,
    full_body,
    missing_message,
    missing_thumbprints,
    parse_certificates,
    plan_rotation,
    rewrite_thumbprints,
    trimmed_body,
)
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError

OLD_LEAF = "0C5D7A1BB1E6C4E58F12D0E8A2B7E3C4D5F60718"
OLD_ROOT = "1111111111111111111111111111111111111111"
NEW_LEAF = "9B1D7C3F7A1E4A1D2E3F405162738495A6B7C8D9"
NEW_ROOT = "2222222222222222222222222222222222222222"
VAULT_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contosokv"
OLD_LEAF_URL = "https://contosokv.vault.azure.net/secrets/leaf/" + "a" * 32
OLD_ROOT_URL = "https://contosokv.vault.azure.net/secrets/root-ca/" + "b" * 32
NEW_LEAF_URL = "https://contosokv.vault.azure.net/secrets/leaf/" + "c" * 32
NEW_ROOT_URL = "https://contosokv.vault.azure.net/secrets/root-ca/" + "d" * 32

CSCFG = (
    '<?xml version="1.0" encoding="utf-8"?>\r\n'
    '<!-- <Certificate name="server" thumbprint="%s" /> (a commented-out element must not change) -->\r\n'
    '<ServiceConfiguration serviceName="contoso" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration" osFamily="7">\r\n'
    '  <Role name="WebRole1">\r\n'
    '    <Instances count="2"/>\r\n'
    "    <Certificates>\r\n"
    "      <Certificate name='server'   thumbprint='%s' thumbprintAlgorithm=\"sha1\"/>\r\n"
    '      <Certificate thumbprintAlgorithm="sha1" name="root" thumbprint="%s" />\r\n'
    "    </Certificates>\r\n"
    "  </Role>\r\n"
    '  <Role name="WorkerRole1">\r\n'
    "    <Certificates>\r\n"
    '      <Certificate name="root" thumbprint="%s" thumbprintAlgorithm="sha1" />\r\n'
    "    </Certificates>\r\n"
    "  </Role>\r\n"
    "</ServiceConfiguration>\r\n"
) % (OLD_LEAF, OLD_LEAF.lower(), OLD_ROOT, " ".join(OLD_ROOT[i : i + 2] for i in range(0, 40, 2)))


def resource(cscfg=CSCFG, secrets=None, etag='"1"'):
    if secrets is None:
        secrets = [
            {
                "sourceVault": {"id": VAULT_ID},
                "vaultCertificates": [
                    {"certificateUrl": OLD_LEAF_URL, "isBootstrapCertificate": True},
                    {"certificateUrl": OLD_ROOT_URL},
                ],
            }
        ]
    return {
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/cloudServices/contoso",
        "name": "contoso",
        "type": "Microsoft.Compute/cloudServices",
        "location": "eastus",
        "etag": etag,
        "tags": {"env": "prod"},
        "systemData": {"createdAt": "x"},
        "properties": {
            "configuration": cscfg,
            "osProfile": {"secrets": secrets},
            "roleProfile": {"roles": [{"name": "WebRole1"}]},
            "extensionProfile": {
                "extensions": [{"name": "RDP", "properties": {"provisioningState": "Succeeded", "settings": "<PublicConfig/>"}}]
            },
            "provisioningState": "Succeeded",
            "uniqueId": "u",
        },
    }


THUMBS = {OLD_LEAF_URL: OLD_LEAF, OLD_ROOT_URL: OLD_ROOT}


def test_parse_certificates_normalizes_and_skips_comments():
    certs = parse_certificates(CSCFG)
    assert certs == [
        {"role": "WebRole1", "name": "server", "thumbprint": OLD_LEAF, "algorithm": "sha1"},
        {"role": "WebRole1", "name": "root", "thumbprint": OLD_ROOT, "algorithm": "sha1"},
        {"role": "WorkerRole1", "name": "root", "thumbprint": OLD_ROOT, "algorithm": "sha1"},
    ]


def test_parse_rejects_broken_xml():
    with pytest.raises(ConfigError, match="not well-formed XML"):
        parse_certificates("<ServiceConfiguration><Role>")
    with pytest.raises(ConfigError, match="no configuration"):
        parse_certificates("")


def test_rewrite_changes_only_the_thumbprint_values():
    out = rewrite_thumbprints(CSCFG, {("WebRole1", "server"): NEW_LEAF, ("WorkerRole1", "root"): NEW_ROOT})
    expected = CSCFG.replace("thumbprint='%s'" % OLD_LEAF.lower(), "thumbprint='%s'" % NEW_LEAF)
    expected = expected.replace(
        'thumbprint="%s"' % " ".join(OLD_ROOT[i : i + 2] for i in range(0, 40, 2)), 'thumbprint="%s"' % NEW_ROOT
    )
    assert out == expected
    assert "\r\n" in out and '<!-- <Certificate name="server" thumbprint="%s"' % OLD_LEAF in out  # comment kept
    with pytest.raises(ConfigError, match="'nope' in role WebRole1"):
        rewrite_thumbprints(CSCFG, {("WebRole1", "nope"): NEW_LEAF})


def test_rewrite_with_a_namespace_prefix():
    xml = (
        '<sc:ServiceConfiguration xmlns:sc="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">'
        '<sc:Role name="R"><sc:Certificates><sc:Certificate name="c" thumbprint="%s"/></sc:Certificates></sc:Role>'
        "</sc:ServiceConfiguration>" % OLD_LEAF
    )
    assert rewrite_thumbprints(xml, {("R", "c"): NEW_LEAF}) == xml.replace(OLD_LEAF, NEW_LEAF)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        (OLD_LEAF_URL, True),
        ("https://contosokv.vault.azure.net:443/secrets/leaf/" + "a" * 32, True),
        ("https://contosokv.vault.azure.cn/secrets/leaf/" + "a" * 32 + "/", True),
        ("https://contosokv.vault.azure.net/secrets/leaf", False),
        ("https://contosokv.vault.azure.net/certificates/leaf/" + "a" * 32, False),
        ("http://contosokv.vault.azure.net/secrets/leaf/" + "a" * 32, False),
        ("https://contosokv.vault.azure.net:8443/secrets/leaf/" + "a" * 32, False),
    ],
)
def test_parse_secret_url(url, ok):
    assert (parse_secret_url(url) is not None) is ok


def test_plan_rotates_by_name_and_by_old_thumbprint_and_drops_replaced_urls():
    plan = plan_rotation(
        resource(),
        [
            {"name": "server", "thumbprint": NEW_LEAF.lower(), "certificate_url": NEW_LEAF_URL},
            {"old_thumbprint": "11:" * 19 + "11", "thumbprint": NEW_ROOT, "certificate_url": NEW_ROOT_URL},
        ],
        VAULT_ID,
        THUMBS,
    )
    assert plan["changed"] is True
    assert [(c["role"], c["name"], c["old_thumbprint"], c["thumbprint"]) for c in plan["changes"]] == [
        ("WebRole1", "server", OLD_LEAF, NEW_LEAF),
        ("WebRole1", "root", OLD_ROOT, NEW_ROOT),
        ("WorkerRole1", "root", OLD_ROOT, NEW_ROOT),
    ]
    assert plan["added_urls"] == [NEW_LEAF_URL, NEW_ROOT_URL]
    assert plan["removed_urls"] == [OLD_LEAF_URL, OLD_ROOT_URL]
    vcs = plan["os_profile"]["secrets"][0]["vaultCertificates"]
    assert vcs == [{"certificateUrl": NEW_LEAF_URL, "isBootstrapCertificate": True}, {"certificateUrl": NEW_ROOT_URL}]
    assert [c["thumbprint"] for c in parse_certificates(plan["configuration"])] == [NEW_LEAF, NEW_ROOT, NEW_ROOT]
    assert missing_thumbprints(plan["configuration"], {NEW_LEAF_URL: NEW_LEAF, NEW_ROOT_URL: NEW_ROOT}) == []


def test_plan_unchanged_when_already_in_place_case_insensitive():
    first = plan_rotation(
        resource(), [{"name": "server", "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL}], VAULT_ID, THUMBS
    )
    again = resource(first["configuration"], first["os_profile"]["secrets"])
    plan = plan_rotation(
        again,
        [
            {
                "name": "server",
                "thumbprint": NEW_LEAF.lower(),
                "certificate_url": NEW_LEAF_URL.replace("contosokv", "ContosoKV").replace("c" * 32, "C" * 32),
            }
        ],
        VAULT_ID,
        {},
    )
    assert plan["changed"] is False and plan["changes"] == [] and plan["added_urls"] == [] and plan["removed_urls"] == []


def test_old_url_kept_while_another_role_still_references_it():
    plan = plan_rotation(
        resource(),
        [{"name": "root", "roles": ["WebRole1"], "thumbprint": NEW_ROOT, "certificate_url": NEW_ROOT_URL}],
        VAULT_ID,
        THUMBS,
    )
    assert [c["role"] for c in plan["changes"]] == ["WebRole1"]
    assert plan["removed_urls"] == []
    assert OLD_ROOT_URL in [vc["certificateUrl"] for vc in plan["os_profile"]["secrets"][0]["vaultCertificates"]]


def test_without_thumbprints_an_old_version_of_the_same_secret_is_dropped():
    plan = plan_rotation(resource(), [{"name": "server", "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL}], None, {})
    assert plan["removed_urls"] == [OLD_LEAF_URL]
    assert OLD_ROOT_URL in [vc["certificateUrl"] for vc in plan["os_profile"]["secrets"][0]["vaultCertificates"]]


def test_new_vault_group_is_created_for_another_source_vault():
    other = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/otherkv"
    url = "https://otherkv.vault.azure.net/secrets/leaf/" + "e" * 32
    plan = plan_rotation(resource(), [{"name": "server", "thumbprint": NEW_LEAF, "certificate_url": url}], other, THUMBS)
    groups = plan["os_profile"]["secrets"]
    assert [g["sourceVault"]["id"] for g in groups] == [VAULT_ID, other]
    assert groups[0]["vaultCertificates"] == [{"certificateUrl": OLD_ROOT_URL}]


@pytest.mark.parametrize(
    ("cert", "message"),
    [
        (
            {"name": "tls", "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL},
            r"no Certificate element named 'tls'.*names that exist: root, server",
        ),
        ({"old_thumbprint": NEW_ROOT, "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL}, "no Certificate in role"),
        ({"name": "server", "thumbprint": "abc", "certificate_url": NEW_LEAF_URL}, "not 40 hexadecimal"),
        (
            {"name": "server", "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL.replace("/secrets/", "/certificates/")},
            "not /certificates/",
        ),
        (
            {"name": "server", "thumbprint": NEW_LEAF, "certificate_url": "https://contosokv.vault.azure.net/secrets/leaf"},
            "not a valid versioned Key Vault Secret URL",
        ),
        ({"thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL}, "exactly one of name"),
        (
            {"name": "server", "roles": ["NoRole"], "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL},
            "roles NoRole not found",
        ),
        (
            {"name": "server", "roles": ["WorkerRole1"], "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL},
            "no Certificate element named 'server'",
        ),
    ],
)
def test_bad_input_is_a_config_error(cert, message):
    with pytest.raises(ConfigError, match=message):
        plan_rotation(resource(), [cert], VAULT_ID, THUMBS)


def test_vault_mismatch_and_unknown_vault():
    url = "https://otherkv.vault.azure.net/secrets/leaf/" + "e" * 32
    with pytest.raises(ConfigError, match="both must be the same Key Vault"):
        plan_rotation(resource(), [{"name": "server", "thumbprint": NEW_LEAF, "certificate_url": url}], VAULT_ID, THUMBS)
    with pytest.raises(ConfigError, match="set source_vault_id"):
        plan_rotation(resource(), [{"name": "server", "thumbprint": NEW_LEAF, "certificate_url": url}], None, THUMBS)


def test_missing_thumbprints_uses_the_service_wording():
    missing = missing_thumbprints(CSCFG, {OLD_LEAF_URL: OLD_LEAF})
    assert missing == ["WebRole1|%s" % OLD_ROOT, "WorkerRole1|%s" % OLD_ROOT]
    assert missing_message(missing).endswith("Missing thumbprints: WebRole1|%s, WorkerRole1|%s" % (OLD_ROOT, OLD_ROOT))
    assert missing_message(missing).startswith(
        "The thumbprints specified in the CSCFG do not have corresponding certificates in osProfile.secrets."
    )


def test_bodies():
    res = resource()
    plan = plan_rotation(res, [{"name": "server", "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL}], VAULT_ID, THUMBS)
    trimmed = trimmed_body(res, plan["configuration"], plan["os_profile"])
    assert trimmed == {
        "location": "eastus",
        "tags": {"env": "prod"},
        "properties": {"configuration": plan["configuration"], "osProfile": plan["os_profile"]},
    }
    full = full_body(res, plan["configuration"], plan["os_profile"])
    assert set(full) == {"location", "tags", "properties"}
    assert "provisioningState" not in full["properties"] and "uniqueId" not in full["properties"]
    assert "provisioningState" not in full["properties"]["extensionProfile"]["extensions"][0]["properties"]
    assert full["properties"]["roleProfile"] == res["properties"]["roleProfile"]
    assert res["properties"]["provisioningState"] == "Succeeded"  # input not mutated


def test_diff_shows_cscfg_and_urls():
    plan = plan_rotation(
        resource(), [{"name": "server", "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL}], VAULT_ID, THUMBS
    )
    diff = diff_text(plan)
    assert NEW_LEAF in diff["after"] and NEW_LEAF not in diff["before"]
    assert "  - %s" % NEW_LEAF_URL in diff["after"] and "  - %s" % OLD_LEAF_URL in diff["before"]
    assert "\r" not in diff["after"]


def test_one_certificate_given_two_thumbprints_is_a_config_error():
    certs = [
        {"name": "root", "thumbprint": NEW_ROOT, "certificate_url": NEW_ROOT_URL},
        {"old_thumbprint": OLD_ROOT, "roles": ["WorkerRole1"], "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL},
    ]
    with pytest.raises(ConfigError, match=r"certificates\[1\]: Certificate 'root' in role WorkerRole1 is given two"):
        plan_rotation(resource(), certs, VAULT_ID, THUMBS)


def test_is_replaced_by_thumbprint_or_by_a_newer_version_of_the_same_secret():
    new_by_name = {("contosokv", "leaf"): NEW_LEAF_URL}
    # a known thumbprint decides: replaced and no longer in the .cscfg
    assert cs._is_replaced(OLD_LEAF_URL, {OLD_LEAF_URL: OLD_LEAF}, {OLD_LEAF}, {NEW_LEAF}, {}) is True
    assert cs._is_replaced(OLD_LEAF_URL, {OLD_LEAF_URL: OLD_LEAF}, {OLD_LEAF}, {OLD_LEAF}, new_by_name) is False
    assert cs._is_replaced(OLD_LEAF_URL, {OLD_LEAF_URL: OLD_LEAF}, set(), {NEW_LEAF}, new_by_name) is False
    # without one: another version of the same secret name replaces it
    assert cs._is_replaced(OLD_LEAF_URL, {}, set(), set(), new_by_name) is True
    assert cs._is_replaced(OLD_ROOT_URL, {}, set(), set(), new_by_name) is False
    assert cs._is_replaced(NEW_LEAF_URL.upper().replace("HTTPS", "https"), {}, set(), set(), new_by_name) is False
    assert cs._is_replaced("not a url", {}, set(), set(), new_by_name) is False


def test_bootstrap_flag_follows_the_secret_to_its_new_version():
    old = {"secrets": [{"vaultCertificates": [{"certificateUrl": OLD_LEAF_URL, "isBootstrapCertificate": False}]}]}
    new = {"secrets": [{"vaultCertificates": [{"certificateUrl": NEW_LEAF_URL}, {"certificateUrl": NEW_ROOT_URL}]}]}
    cs._carry_bootstrap_flags(new, [NEW_LEAF_URL, NEW_ROOT_URL], old)
    assert new["secrets"][0]["vaultCertificates"] == [
        {"certificateUrl": NEW_LEAF_URL, "isBootstrapCertificate": False},
        {"certificateUrl": NEW_ROOT_URL},
    ]


def test_failure_result_keeps_what_helps():
    from ansible_collections.signet.azure.plugins.modules.cloud_service_certificate import failure_result

    service = {
        "id": "/subscriptions/s/x",
        "name": "cs",
        "properties": {"provisioningState": "Failed", "configuration": "<cscfg/>"},
    }
    result = {
        "changed": False,
        "changes": [{"name": "server"}],
        "backup": {"configuration": "<cscfg/>"},
        "cloud_service": service,
    }
    before = failure_result(result, changed=False)
    assert "backup" not in before and before["changes"] == [{"name": "server"}]
    assert before["cloud_service"] == {"id": "/subscriptions/s/x", "name": "cs", "properties": {"provisioningState": "Failed"}}
    after = failure_result(result, changed=True)
    assert after["changed"] is True and after["backup"] == {"configuration": "<cscfg/>"}
    assert "configuration" not in str(after["cloud_service"])
