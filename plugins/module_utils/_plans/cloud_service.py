# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Pure plan functions for Cloud Services (extended support) certificate rotation. No I/O, no Ansible.

The documented way to rotate the certificates of a cloud service whose chain lives in Key Vault (Microsoft's "Update
or change the certificate used in Azure Cloud Services (extended support)",
https://learn.microsoft.com/troubleshoot/azure/cloud-services/extended/availability/update-or-change-certificate-used,
and "Use certificates with Azure Cloud Services (extended support)",
https://learn.microsoft.com/azure/cloud-services-extended-support/certificates-and-key-vault) is: GET the cloud
service, replace the thumbprints in ``properties.configuration`` (the .cscfg XML) and the ``certificateUrl`` values in
``properties.osProfile.secrets``, PUT it back. docs/docsite/rst/rotation.rst describes the steps and safety rules.
This module computes that edit:

* :func:`parse_certificates` lists the ``<Certificate>`` elements of every ``<Role>`` of a .cscfg.
* :func:`rewrite_thumbprints` changes only the ``thumbprint`` attribute values, textually, so comments, attribute
  order, quoting, whitespace and line endings of the rest of the document are preserved byte for byte.
* :func:`plan_rotation` turns the user's ``certificates`` list into the new .cscfg and ``osProfile.secrets``, the
  list of changes and the ``changed`` flag; :func:`missing_thumbprints` is the local version of the service's
  ``CertificateThumbprintsNotFound`` check; :func:`trimmed_body` / :func:`full_body` build the PUT body.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET

from .._clients.cloud_service import BUSY_MESSAGE, parse_secret_url
from .._errors import AzureRestError, CertificateError, ConfigError, IntegrityError, NotFoundError


#: Read-only fields of a CloudService (cloudService.json 2024-11-04), removed from a ``body: full`` PUT.
READ_ONLY_TOP = ("id", "name", "type", "etag", "systemData")
READ_ONLY_PROPERTIES = ("provisioningState", "uniqueId")

_COMMENT = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)
_ROLE_OPEN = re.compile(r"<(?:[\w.-]+:)?Role\b([^>]*?)(/?)>")
_ROLE_CLOSE = re.compile(r"</(?:[\w.-]+:)?Role\s*>")
_CERT_TAG = re.compile(r"<(?:[\w.-]+:)?Certificate\b([^>]*?)/?>")
_ATTR = re.compile(r"([\w.:-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")


def normalize_thumbprint(value) -> str:
    """Upper-case hex with spaces, colons and invisible marks removed (``""`` for a missing value).

    It does not insist on 40 characters: it is used to *compare* what a
    .cscfg holds, which may be wrong.
    """
    return "".join(ch for ch in str(value or "") if ch.isalnum()).upper()


def _mask(text: str) -> str:
    """``text`` with comments, CDATA and processing instructions blanked out (same length, so offsets still hold)."""
    return _COMMENT.sub(lambda m: " " * len(m.group(0)), text)


def _attrs(attr_text: str, offset: int) -> dict:
    """``{name: (value, start, end)}`` for the attributes in a tag; start/end are the offsets of the value."""
    found = {}
    for m in _ATTR.finditer(attr_text):
        start = offset + m.start(2) + 1
        found[m.group(1).split(":")[-1]] = (m.group(2)[1:-1], start, start + len(m.group(2)) - 2)
    return found


def _scan(cscfg: str) -> list[dict]:
    """Every Certificate element inside a Role: ``{role, name, thumbprint (as written), algorithm, span}``."""
    if not isinstance(cscfg, str) or not cscfg.strip():
        raise ConfigError("the cloud service has no configuration (.cscfg) to edit")
    try:
        ET.fromstring(cscfg.encode("utf-8"))
    except ET.ParseError as exc:
        raise ConfigError("the cloud service configuration (.cscfg) is not well-formed XML: %s" % exc) from None
    masked = _mask(cscfg)
    found = []
    pos = 0
    while True:
        opened = _ROLE_OPEN.search(masked, pos)
        if not opened:
            break
        role_attrs = _attrs(opened.group(1), opened.start(1))
        role = role_attrs.get("name", ("", 0, 0))[0]
        if opened.group(2) == "/":
            pos = opened.end()
            continue
        closed = _ROLE_CLOSE.search(masked, opened.end())
        end = closed.start() if closed else len(masked)
        for cert in _CERT_TAG.finditer(masked, opened.end(), end):
            attrs = _attrs(cert.group(1), cert.start(1))
            tp = attrs.get("thumbprint")
            found.append(
                {
                    "role": role,
                    "name": attrs.get("name", ("", 0, 0))[0],
                    "thumbprint": tp[0] if tp else "",
                    "algorithm": attrs.get("thumbprintAlgorithm", ("", 0, 0))[0],
                    "span": (tp[1], tp[2]) if tp else None,
                }
            )
        pos = closed.end() if closed else len(masked)
    return found


def parse_certificates(cscfg: str) -> list[dict]:
    """The .cscfg certificates: ``[{role, name, thumbprint (normalized upper-case), algorithm}]`` in document order.

    Raises ConfigError when the configuration is empty or not well-formed XML.
    """
    return [
        {"role": c["role"], "name": c["name"], "thumbprint": normalize_thumbprint(c["thumbprint"]), "algorithm": c["algorithm"]}
        for c in _scan(cscfg)
    ]


def roles_of(cscfg: str) -> list[str]:
    """Names of the ``<Role>`` elements of a .cscfg (document order)."""
    root = ET.fromstring(cscfg.encode("utf-8"))
    return [el.get("name") or "" for el in root.iter() if el.tag.split("}")[-1] == "Role"]


def rewrite_thumbprints(cscfg: str, edits: dict) -> str:
    """Return ``cscfg`` with new thumbprint values; ``edits`` maps ``(role, certificate name)`` to the new value.

    Only the characters of the ``thumbprint`` attribute values change. Raises ConfigError for an edit that matches no
    Certificate element.
    """
    certs = _scan(cscfg)
    wanted = {(r, n): v for (r, n), v in edits.items()}
    out = cscfg
    spans = []
    for cert in certs:
        key = (cert["role"], cert["name"])
        if key in wanted and cert["span"] is not None:
            spans.append((cert["span"], wanted[key]))
    hit = {(c["role"], c["name"]) for c in certs if (c["role"], c["name"]) in wanted}
    missing = sorted(set(wanted) - hit)
    if missing:
        raise ConfigError("cscfg has no Certificate element %s" % ", ".join("%r in role %s" % (n, r) for r, n in missing))
    for (start, end), value in sorted(spans, reverse=True):
        out = out[:start] + value + out[end:]
    return out


def same_url(a: str, b: str) -> bool:
    """Two certificate URLs name the same secret version (case, ``:443`` and a trailing slash ignored)."""
    pa, pb = parse_secret_url(a), parse_secret_url(b)
    if pa and pb:
        return (pa["host"], pa["name"].lower(), pa["version"].lower()) == (pb["host"], pb["name"].lower(), pb["version"].lower())
    return str(a or "").rstrip("/").lower() == str(b or "").rstrip("/").lower()


def secrets_summary(os_profile: dict | None, url_thumbprints: dict | None = None) -> list[dict]:
    """``[{source_vault_id, certificates: [{certificate_url, thumbprint, is_bootstrap_certificate}]}]``."""
    url_thumbprints = url_thumbprints or {}
    out = []
    for group in (os_profile or {}).get("secrets") or []:
        certs = []
        for vc in group.get("vaultCertificates") or []:
            url = vc.get("certificateUrl")
            entry = {"certificate_url": url, "thumbprint": url_thumbprints.get(url)}
            if "isBootstrapCertificate" in vc:
                entry["is_bootstrap_certificate"] = vc["isBootstrapCertificate"]
            certs.append(entry)
        out.append({"source_vault_id": (group.get("sourceVault") or {}).get("id"), "certificates": certs})
    return out


def all_urls(os_profile: dict | None) -> list[str]:
    """Every ``certificateUrl`` in ``osProfile.secrets`` (document order)."""
    return [
        vc.get("certificateUrl")
        for group in (os_profile or {}).get("secrets") or []
        for vc in group.get("vaultCertificates") or []
    ]


def _vault_name_of_id(vault_id: str) -> str:
    return str(vault_id or "").rstrip("/").rsplit("/", 1)[-1].lower()


def normalize_requests(certificates: list[dict]) -> list[dict]:
    """Validate the module's ``certificates`` option offline; returns entries with normalized thumbprints.

    Raises ConfigError naming the entry and the fix.
    """
    if not certificates:
        raise ConfigError("certificates: give at least one entry {name or old_thumbprint, thumbprint, certificate_url}")
    out = []
    for index, item in enumerate(certificates):
        label = "certificates[%d]" % index
        if bool(item.get("name")) == bool(item.get("old_thumbprint")):
            raise ConfigError("%s: give exactly one of name (the .cscfg Certificate name) or old_thumbprint" % label)
        new_tp = normalize_thumbprint(item.get("thumbprint"))
        if len(new_tp) != 40 or any(ch not in "0123456789ABCDEF" for ch in new_tp):
            raise ConfigError(
                "%s: thumbprint %r is not 40 hexadecimal characters (a SHA-1 thumbprint)" % (label, item.get("thumbprint"))
            )
        url = item.get("certificate_url") or ""
        if parse_secret_url(url) is None:
            hint = " (use the secret identifier /secrets/<name>/<version>, not /certificates/)" if "/certificates/" in url else ""
            raise ConfigError(
                "%s: certificate_url %r is not a valid versioned Key Vault Secret URL "
                "https://<vault>.vault.azure.net/secrets/<name>/<version>%s" % (label, url, hint)
            )
        entry = {
            "name": item.get("name") or None,
            "old_thumbprint": normalize_thumbprint(item.get("old_thumbprint")) or None,
            "thumbprint": new_tp,
            "certificate_url": url,
            "roles": list(item.get("roles") or []),
            "label": label,
        }
        out.append(entry)
    return out


def _roles_for(entry: dict, all_roles: list[str]) -> list[str]:
    """The roles ``entry`` applies to (all of them by default); ConfigError for a role the .cscfg does not have."""
    roles = entry["roles"] or all_roles
    unknown_roles = [r for r in roles if r not in all_roles]
    if unknown_roles:
        raise ConfigError(
            "%s: roles %s not found in the .cscfg (roles that exist: %s)"
            % (entry["label"], ", ".join(unknown_roles), ", ".join(all_roles) or "none")
        )
    return roles


def _matches_by_name(entry: dict, found: list[dict], roles: list[str]) -> list[dict]:
    """The Certificate elements named ``entry['name']`` in ``roles`` (exact name first, then case-insensitive).

    Raises ConfigError when there is none, or when a role the entry lists explicitly lacks it.
    """
    matches = [c for c in found if c["role"] in roles and c["name"] == entry["name"]]
    if not matches:
        matches = [c for c in found if c["role"] in roles and c["name"].lower() == entry["name"].lower()]
    if not matches:
        names = sorted({c["name"] for c in found if c["role"] in roles})
        raise ConfigError(
            "%s: the .cscfg has no Certificate element named %r in role(s) %s (names that exist: %s)"
            % (entry["label"], entry["name"], ", ".join(roles), ", ".join(names) or "none")
        )
    if entry["roles"]:
        missing_in = [r for r in entry["roles"] if r not in {c["role"] for c in matches}]
        if missing_in:
            names = sorted({c["name"] for c in found if c["role"] in missing_in})
            raise ConfigError(
                "%s: cscfg role %s has no Certificate element %r (available: %s)"
                % (entry["label"], ", ".join(missing_in), entry["name"], ", ".join(names) or "none")
            )
    return matches


def _matches_by_thumbprint(entry: dict, found: list[dict], roles: list[str]) -> list[dict]:
    """The Certificate elements in ``roles`` whose thumbprint is ``entry['old_thumbprint']``; ConfigError if none."""
    matches = [c for c in found if c["role"] in roles and c["thumbprint"] == entry["old_thumbprint"]]
    if not matches:
        raise ConfigError(
            "%s: no Certificate in role(s) %s has thumbprint %s (thumbprints that exist: %s)"
            % (
                entry["label"],
                ", ".join(roles),
                entry["old_thumbprint"],
                ", ".join("%s/%s=%s" % (c["role"], c["name"], c["thumbprint"]) for c in found) or "none",
            )
        )
    return matches


def _cscfg_edits(wanted: list[dict], found: list[dict], all_roles: list[str]) -> tuple[dict, list[dict]]:
    """``(edits, changes)``: the thumbprint edits for :func:`rewrite_thumbprints` and the plan's ``changes`` list.

    Raises ConfigError (unknown role, name or thumbprint; one Certificate given two different thumbprints).
    """
    edits: dict = {}
    changes = []
    for entry in wanted:
        roles = _roles_for(entry, all_roles)
        find = _matches_by_name if entry["name"] else _matches_by_thumbprint
        matches = find(entry, found, roles)
        for cert in matches:
            key = (cert["role"], cert["name"])
            previous = edits.get(key)
            if previous is not None and previous != entry["thumbprint"]:
                raise ConfigError(
                    "%s: Certificate %r in role %s is given two different thumbprints"
                    % (entry["label"], cert["name"], cert["role"])
                )
            if cert["thumbprint"] != entry["thumbprint"]:
                edits[key] = entry["thumbprint"]
                changes.append(
                    {
                        "role": cert["role"],
                        "name": cert["name"],
                        "old_thumbprint": cert["thumbprint"],
                        "thumbprint": entry["thumbprint"],
                        "certificate_url": entry["certificate_url"],
                    }
                )
    return edits, changes


def _secret_key(parsed: dict) -> tuple[str, str]:
    """``(vault, lower-case secret name)`` of a parsed secret URL: the versions of one secret share it."""
    return parsed["vault"], parsed["name"].lower()


def _add_new_urls(os_profile: dict, wanted: list[dict], source_vault_id: str | None, url_thumbprints: dict) -> list[str]:
    """Add each new certificate URL not yet in ``os_profile`` to its vault group; returns the added URLs.

    ``url_thumbprints`` learns the thumbprint of each added URL.
    """
    added = []
    for entry in wanted:
        url = entry["certificate_url"]
        if any(same_url(url, u) for u in all_urls(os_profile)):
            continue
        group = _group_for(os_profile, url, source_vault_id, entry["label"])
        group.setdefault("vaultCertificates", []).append({"certificateUrl": url})
        added.append(url)
        url_thumbprints.setdefault(url, entry["thumbprint"])
    return added


def _is_replaced(url: str, url_thumbprints: dict, replaced: set, new_thumbs: set, new_by_name: dict) -> bool:
    """Whether the current certificate ``url`` belongs to a replaced certificate no role references any more.

    With a known thumbprint: it was replaced and the new .cscfg no longer names it. Without one: another version of
    the same secret is among the new URLs.
    """
    tp = url_thumbprints.get(url)
    if tp:
        return tp in replaced and tp not in new_thumbs
    parsed = parse_secret_url(url)
    if parsed:
        replacement = new_by_name.get(_secret_key(parsed))
        return replacement is not None and not same_url(replacement, url)
    return False


def _drop_replaced_urls(
    os_profile: dict, wanted: list[dict], added: list[str], url_thumbprints: dict, replaced: set, new_thumbs: set
) -> list[str]:
    """Remove the URLs of replaced certificates from ``os_profile`` (never a URL asked for); returns them."""
    new_by_name = {_secret_key(parse_secret_url(e["certificate_url"])): e["certificate_url"] for e in wanted}
    removed = []
    for group in os_profile["secrets"]:
        kept = []
        for vc in group.get("vaultCertificates") or []:
            url = vc.get("certificateUrl")
            if url in added:
                kept.append(vc)
                continue
            drop = _is_replaced(url, url_thumbprints, replaced, new_thumbs, new_by_name)
            if drop and any(same_url(url, e["certificate_url"]) for e in wanted):
                drop = False
            if drop:
                removed.append(url)
            else:
                kept.append(vc)
        group["vaultCertificates"] = kept
    return removed


def _carry_bootstrap_flags(os_profile: dict, added: list[str], old_os_profile: dict) -> None:
    """Copy ``isBootstrapCertificate`` to each added URL from a current version of the same secret."""
    for group in os_profile["secrets"]:
        for vc in group.get("vaultCertificates") or []:
            if vc.get("certificateUrl") not in added:
                continue
            parsed = parse_secret_url(vc["certificateUrl"])
            for old in _all_vcs(old_os_profile):
                po = parse_secret_url(old.get("certificateUrl"))
                if po and parsed and _secret_key(po) == _secret_key(parsed) and "isBootstrapCertificate" in old:
                    vc["isBootstrapCertificate"] = old["isBootstrapCertificate"]


def plan_rotation(
    resource: dict,
    certificates: list[dict],
    source_vault_id: str | None = None,
    url_thumbprints: dict | None = None,
) -> dict:
    """Compute the rotation of ``resource`` (a CloudService GET body).

    ``certificates``: the module option (see :func:`normalize_requests`). ``source_vault_id``: the Key Vault ARM id
    the new URLs belong to (default: the group of ``osProfile.secrets`` whose vault name matches the URL host, else
    ConfigError). ``url_thumbprints``: known thumbprints of current certificate URLs (from Key Vault), used to drop
    the URLs of replaced certificates that no role references any more; without a thumbprint, an old URL is dropped
    when a new URL is another version of the same secret name. URLs of certificates this plan does not replace stay.

    Returns ``{changed, configuration, os_profile, changes: [{role, name, old_thumbprint, thumbprint,
    certificate_url}], added_urls, removed_urls, before: {configuration, secrets}, after: {...}}``.
    Raises ConfigError (unknown name, role or thumbprint; vault cannot be determined).
    """
    props = resource.get("properties") or {}
    cscfg = props.get("configuration") or ""
    os_profile = copy.deepcopy(props.get("osProfile") or {})
    os_profile.setdefault("secrets", [])
    url_thumbprints = {k: normalize_thumbprint(v) for k, v in (url_thumbprints or {}).items() if v}
    found = parse_certificates(cscfg)
    all_roles = roles_of(cscfg)
    wanted = normalize_requests(certificates)

    edits, changes = _cscfg_edits(wanted, found, all_roles)
    new_cscfg = rewrite_thumbprints(cscfg, edits) if edits else cscfg

    # osProfile.secrets: add the new URLs, drop old ones no longer referenced.
    new_thumbs = {normalize_thumbprint(c["thumbprint"]) for c in parse_certificates(new_cscfg)}
    replaced = {c["old_thumbprint"] for c in changes}
    added = _add_new_urls(os_profile, wanted, source_vault_id, url_thumbprints)
    removed = _drop_replaced_urls(os_profile, wanted, added, url_thumbprints, replaced, new_thumbs)
    _carry_bootstrap_flags(os_profile, added, props.get("osProfile") or {})
    os_profile["secrets"] = [g for g in os_profile["secrets"] if g.get("vaultCertificates")]
    changed = new_cscfg != cscfg or bool(added) or bool(removed)
    return {
        "changed": changed,
        "configuration": new_cscfg,
        "os_profile": os_profile,
        "changes": changes,
        "added_urls": added,
        "removed_urls": removed,
        "before": {"configuration": cscfg, "secrets": secrets_summary(props.get("osProfile"))},
        "after": {"configuration": new_cscfg, "secrets": secrets_summary(os_profile)},
    }


def _all_vcs(os_profile: dict) -> list[dict]:
    return [vc for group in os_profile.get("secrets") or [] for vc in group.get("vaultCertificates") or []]


def _group_for(os_profile: dict, url: str, source_vault_id: str | None, label: str) -> dict:
    """The ``osProfile.secrets`` group a new URL belongs in (created when needed)."""
    vault = parse_secret_url(url)["vault"]
    if source_vault_id:
        if _vault_name_of_id(source_vault_id) != vault:
            raise ConfigError(
                "%s: certificate_url %s is in vault %r but source_vault_id names vault %r: both must be the same Key Vault"
                % (label, url, vault, _vault_name_of_id(source_vault_id))
            )
        for group in os_profile["secrets"]:
            if str((group.get("sourceVault") or {}).get("id") or "").lower() == source_vault_id.lower():
                return group
        group = {"sourceVault": {"id": source_vault_id}, "vaultCertificates": []}
        os_profile["secrets"].append(group)
        return group
    for group in os_profile["secrets"]:
        if _vault_name_of_id((group.get("sourceVault") or {}).get("id")) == vault:
            return group
    raise ConfigError(
        "%s: osProfile.secrets has no group for vault %r: set source_vault_id to the Key Vault's resource id "
        "(/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/%s)" % (label, vault, vault)
    )


def missing_thumbprints(configuration: str, url_thumbprints: dict) -> list[str]:
    """``["<role>|<thumbprint>", ...]`` for .cscfg thumbprints with no certificate among ``url_thumbprints`` values.

    The local version of the service's ``CertificateThumbprintsNotFound`` check: the update fails when a .cscfg
    thumbprint has no certificate in ``osProfile.secrets`` (the error text is quoted in Microsoft's "Update or change
    the certificate used in Azure Cloud Services (extended support)", PowerShell tab; see also
    docs/docsite/rst/rotation.rst, "Safety rules").
    """
    known = {normalize_thumbprint(v) for v in url_thumbprints.values() if v}
    return ["%s|%s" % (c["role"], c["thumbprint"]) for c in parse_certificates(configuration) if c["thumbprint"] not in known]


def missing_message(missing: list[str]) -> str:
    """The service's wording for :func:`missing_thumbprints`."""
    return (
        "The thumbprints specified in the CSCFG do not have corresponding certificates in osProfile.secrets. "
        "Add the missing certificates in osProfile.secrets. Missing thumbprints: " + ", ".join(missing)
    )


def trimmed_body(resource: dict, configuration: str, os_profile: dict) -> dict:
    """The body of the documented REST procedure: location, tags, properties.configuration and properties.osProfile."""
    body = {"location": resource.get("location"), "properties": {"configuration": configuration, "osProfile": os_profile}}
    if resource.get("tags") is not None:
        body["tags"] = resource["tags"]
    return body


def full_body(resource: dict, configuration: str, os_profile: dict) -> dict:
    """The whole GET body minus read-only fields, with the new configuration and osProfile."""
    body = {k: copy.deepcopy(v) for k, v in resource.items() if k not in READ_ONLY_TOP}
    props = body.setdefault("properties", {})
    for key in READ_ONLY_PROPERTIES:
        props.pop(key, None)
    for ext in (props.get("extensionProfile") or {}).get("extensions") or []:
        (ext.get("properties") or {}).pop("provisioningState", None)
    props["configuration"] = configuration
    props["osProfile"] = os_profile
    return body


def diff_text(plan: dict) -> dict:
    """``{before, after, before_header, after_header}`` for Ansible's --diff: the .cscfg then the secret URLs."""

    def render(side: dict) -> str:
        lines = side["configuration"].replace("\r\n", "\n").rstrip("\n").split("\n")
        lines.append("# osProfile.secrets")
        for group in side["secrets"]:
            lines.append("- sourceVault: %s" % group["source_vault_id"])
            lines.extend("  - %s" % c["certificate_url"] for c in group["certificates"])
        return "\n".join(lines) + "\n"

    return {
        "before": render(plan["before"]),
        "after": render(plan["after"]),
        "before_header": "cloud service (.cscfg + osProfile.secrets) before",
        "after_header": "cloud service (.cscfg + osProfile.secrets) after",
    }


# -- rotate --------------------------------------------------------------------------------------------------
def plan(client, resource_id: str, certificates: list[dict], source_vault_id: str | None) -> dict:
    """GET, gate on provisioningState, and compute the plan (see ``plan_rotation``)."""
    got = client.get(resource_id)
    body = got["body"]
    state = (body.get("properties") or {}).get("provisioningState") or "Succeeded"
    if state.lower() == "failed":
        client.warn("the last operation on the cloud service failed (provisioningState Failed); this update retries it")
    elif state.lower() != "succeeded":
        raise AzureRestError(
            "cannot update the cloud service %s: %s (provisioningState is %s); wait until it is Succeeded and run again"
            % (body.get("name") or resource_id, BUSY_MESSAGE, state),
            error_code="OperationInProgress",
        )
    current_urls = all_urls((body.get("properties") or {}).get("osProfile"))
    thumbs = client.resolve(current_urls)
    plan = plan_rotation(body, certificates, source_vault_id, thumbs)
    plan["resource"] = body
    plan["etag"] = got["etag"]
    plan["url_thumbprints"] = thumbs
    return plan


def preflight(client, plan: dict, certificates: list[dict]) -> None:
    """Check every new thumbprint against the certificate behind its URL, and the service's own rule (every
    .cscfg thumbprint has a certificate in osProfile.secrets). Raises CertificateError / ConfigError."""
    thumbs = dict(plan["url_thumbprints"])
    for index, item in enumerate(certificates):
        url = item["certificate_url"]
        if not client.in_this_cloud(url):
            raise ConfigError(
                "certificates[%d]: certificate_url %s is not in this cloud's Key Vault (*.%s): check cloud"
                % (index, url, client.keyvault_suffix)
            )
        try:
            actual = client.secret_thumbprint(url)
        except NotFoundError:
            raise ConfigError("certificates[%d]: there is no Key Vault secret at %s (upload it first)" % (index, url)) from None
        wanted = normalize_thumbprint(item["thumbprint"])
        if actual != wanted:
            raise CertificateError(
                "certificates[%d]: thumbprint %s does not match the certificate behind %s (its thumbprint is %s); "
                "nothing was changed" % (index, wanted, url, actual)
            )
        thumbs[url] = actual
    new_urls = all_urls(plan["os_profile"])
    if all(thumbs.get(u) for u in new_urls):
        missing = missing_thumbprints(plan["configuration"], {u: thumbs[u] for u in new_urls})
        if missing:
            raise ConfigError(missing_message(missing) + " (checked before the update; nothing was changed)")


def verify(final: dict, plan: dict) -> None:
    """Read-after-write: the service must hold the planned thumbprints and URLs. Raises IntegrityError."""
    props = final.get("properties") or {}
    have = {(c["role"], c["name"]): c["thumbprint"] for c in parse_certificates(props.get("configuration") or "")}
    wrong = [
        "%s/%s" % key
        for key, tp in {(c["role"], c["name"]): c["thumbprint"] for c in parse_certificates(plan["configuration"])}.items()
        if have.get(key) != tp
    ]
    urls = {u.lower() for u in all_urls(props.get("osProfile"))}
    lost = [u for u in all_urls(plan["os_profile"]) if u.lower() not in urls]
    if wrong or lost:
        raise IntegrityError(
            "the cloud service does not hold the update after it succeeded (certificates %s; URLs missing %s): "
            "another change may have overwritten it" % (", ".join(wrong) or "ok", ", ".join(lost) or "none")
        )


# -- read and write through a CloudServiceClient ------------------------------------------------------------------------
def describe(client, resource_id: str, resolve_thumbprints: bool = False) -> dict:
    """GET the cloud service; returns ``{cloud_service, etag, certificates, secrets}``."""
    got = client.get(resource_id)
    body = got["body"]
    props = body.get("properties") or {}
    thumbs = client.resolve(all_urls(props.get("osProfile"))) if resolve_thumbprints else {}
    config = props.get("configuration")
    return {
        "cloud_service": body,
        "etag": got["etag"],
        "certificates": parse_certificates(config) if config else [],
        "secrets": secrets_summary(props.get("osProfile"), thumbs),
    }


def apply(
    client, resource_id: str, plan: dict, body_mode: str = "trimmed", wait: bool = True, wait_timeout: float = 3600
) -> dict:
    """PUT the planned body (If-Match when the GET gave an etag), follow the LRO, verify by reading back."""
    builder = full_body if body_mode == "full" else trimmed_body
    body = builder(plan["resource"], plan["configuration"], plan["os_profile"])

    def started(current: dict) -> bool:
        props = current.get("properties") or {}
        return props.get("configuration") == plan["configuration"] or (props.get("provisioningState") or "").lower() == "updating"

    applied = client.put(resource_id, body, plan.get("etag"), wait=wait, wait_timeout=wait_timeout, started=started)
    if wait:
        verify(applied["cloud_service"], plan)
    return applied
