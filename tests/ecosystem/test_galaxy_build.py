# SPDX-License-Identifier: GPL-3.0-or-later
"""The galaxy tarball: metadata, contents, plugin docs, an install into a clean virtualenv that runs a playbook
against Azurite, and galaxy-importer (Galaxy's own import checks, run locally without ansible-test or a container)."""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from pathlib import Path

import pytest
import yaml

from .conftest import BIN, REPO, cached_venv, clean_env, galaxy_info, module_names, run

MAX_TARBALL_BYTES = 20 * 1024 * 1024  # Galaxy's upload limit
GALAXY_TAGS = {
    "ai",
    "application",
    "cloud",
    "database",
    "eda",
    "infrastructure",
    "linux",
    "monitoring",
    "networking",
    "security",
    "storage",
    "tools",
    "windows",
}
FORBIDDEN = (
    re.compile(r"^(\.venv|\.git|\.ci|\.ruff_cache|\.pytest_cache|build|node_modules|tools|benchmarks|context)(/|$)"),
    re.compile(r"^tests/output(/|$)"),
    re.compile(r"(^|/)__pycache__(/|$)"),
    re.compile(r"\.(pyc|tar\.gz)$"),
    re.compile(r"^(Makefile|requirements-(test|matrix)\.txt|package(-lock)?\.json|ruff\.toml|CONTRIBUTING\.md)$"),
)


def members(tarball: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(tarball) as tar:
        return {m.name.rstrip("/"): m for m in tar.getmembers()}


def test_galaxy_yml_fields():
    info = galaxy_info()
    assert re.fullmatch(r"[a-z][a-z0-9_]+", info["namespace"]) and re.fullmatch(r"[a-z][a-z0-9_]+", info["name"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(info["version"]))
    assert info["authors"] and all(len(a) <= 64 for a in info["authors"])
    assert 0 < len(info["description"]) <= 255
    assert info.get("license") == ["GPL-3.0-or-later"] and not info.get("license_file"), "license and license_file are exclusive"
    tags = info["tags"]
    assert len(tags) <= 20 and all(re.fullmatch(r"[a-z0-9_]+", t) and len(t) <= 64 for t in tags)
    assert GALAXY_TAGS & set(tags), "Galaxy wants one of its platform tags"
    for key in ("repository", "documentation", "homepage", "issues"):
        assert str(info[key]).startswith("https://"), key
    assert info["readme"] == "README.md"
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    assert re.fullmatch(r">=\s*2\.16(\.0)?", runtime["requires_ansible"]), runtime["requires_ansible"]
    assert (REPO / "LICENSE").read_text().startswith(" " * 20 + "GNU GENERAL PUBLIC LICENSE")
    assert "Version 3, 29 June 2007" in (REPO / "LICENSE").read_text()[:200]


def test_tarball_contents(collection_tarball):
    found = members(collection_tarball)
    assert collection_tarball.stat().st_size < MAX_TARBALL_BYTES
    for required in (
        "MANIFEST.json",
        "FILES.json",
        "galaxy.yml",
        "LICENSE",
        "meta/runtime.yml",
        "meta/execution-environment.yml",
        "bindep.txt",
        "requirements.txt",
        "changelogs/changelog.yaml",
        "changelogs/config.yaml",
        "docs/docsite/links.yml",
        "docs/docsite/extra-docs.yml",
    ):
        if required == "galaxy.yml":
            continue  # the build turns it into MANIFEST.json
        assert required in found, required
    for name in module_names():
        assert "plugins/modules/%s.py" % name in found, name
    for rst in sorted((REPO / "docs" / "docsite" / "rst").glob("*.rst")):
        assert "docs/docsite/rst/%s" % rst.name in found
    for ctype in sorted((REPO / "extensions" / "awx" / "credential_types").glob("*.yml")):
        assert "extensions/awx/credential_types/%s" % ctype.name in found
    bad = sorted(name for name in found if any(p.search(name) for p in FORBIDDEN))
    assert not bad, "files that must not ship: %s" % bad[:20]
    for name, member in found.items():
        assert not member.issym() and not member.islnk(), "links do not survive a Galaxy import: %s" % name
    with tarfile.open(collection_tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        files = json.load(tar.extractfile("FILES.json"))
        assert manifest["collection_info"]["license"] == ["GPL-3.0-or-later"]
        for entry in files["files"]:
            if entry["ftype"] == "file":
                data = tar.extractfile(entry["name"]).read()
                assert hashlib.sha256(data).hexdigest() == entry["chksum_sha256"], entry["name"]


def test_roles_have_readme_and_metadata(collection_tarball):
    found = members(collection_tarball)
    roles = sorted({name.split("/")[1] for name in found if name.startswith("roles/") and name.count("/") >= 2})
    for role in roles:
        assert "roles/%s/README.md" % role in found, "galaxy-importer refuses a role without README.md: roles/%s" % role
        assert "roles/%s/meta/main.yml" % role in found, "roles/%s has no meta/main.yml" % role
        assert "roles/%s/meta/argument_specs.yml" % role in found or "roles/%s/meta/main.yml" % role in found


def test_ansible_doc_loads_every_module(installed_collections):
    names = ["signet.azure.%s" % m for m in module_names()]
    proc = run(
        [BIN / "ansible-doc", "-t", "module", "--json", *names],
        env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(installed_collections)),
    )
    assert proc.returncode == 0 and "[ERROR]" not in proc.stderr, proc.stderr[-4000:]
    docs = json.loads(proc.stdout)
    assert sorted(docs) == sorted(names)
    for name, entry in docs.items():
        doc = entry["doc"]
        # released modules say 1.0.0; modules added since say the next minor release (changelogs/fragments)
        assert doc["version_added"] in ("1.0.0", "1.1.0"), (name, doc["version_added"])
        assert doc["short_description"] and doc["description"], name
        assert entry["examples"] and "signet.azure." in entry["examples"], name
        assert entry["return"] is not None, name
        assert doc["collection"] == "signet.azure"


def test_clean_venv_install_runs_a_playbook(tmp_path, azurite, collection_tarball):
    """A fresh venv with ansible-core 2.19 and requirements.txt only: install the tarball, run modules from it."""
    venv = cached_venv("venv-clean", ["ansible-core==2.19.*", "requirements.txt"])
    py = venv / "bin" / "python"
    probe = run([py, "-c", "import importlib.util as u; print(u.find_spec('azure') is None)"], env=clean_env())
    assert probe.stdout.strip() == "True", "the clean venv must not have any Azure SDK"
    dest = tmp_path / "collections"
    proc = run(
        [venv / "bin" / "ansible-galaxy", "collection", "install", "--no-deps", "-p", dest, collection_tarball],
        env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(dest)),
    )
    assert proc.returncode == 0, proc.stderr
    container = "galaxy-clean-%s" % hashlib.sha256(str(tmp_path).encode()).hexdigest()[:8]
    creds = {"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint}
    tasks = [
        {
            "name": "Create a container",
            "signet.azure.request": {"method": "PUT", "path": "/%s?restype=container" % container, "status_code": [201]},
        },
        {"name": "List containers", "signet.azure.request": {"path": "/?comp=list"}, "register": "listing"},
        {"name": "Listed", "ansible.builtin.assert": {"that": ["'%s' in (listing.content | to_json)" % container]}},
    ]
    if "storage_container_info" in module_names():
        tasks += [
            {
                "name": "storage_container_info from the installed copy",
                "signet.azure.storage_container_info": {"name": container},
                "register": "info",
            },
            {"name": "Found", "ansible.builtin.assert": {"that": ["info is succeeded", "'%s' in (info | to_json)" % container]}},
        ]
    tasks.append(
        {
            "name": "Delete the container",
            "signet.azure.request": {"method": "DELETE", "path": "/%s?restype=container" % container, "status_code": [202]},
        }
    )
    play = [
        {
            "name": "From the installed tarball",
            "hosts": "localhost",
            "gather_facts": False,
            "module_defaults": {"group/signet.azure.storage": creds},
            "tasks": tasks,
        }
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = clean_env(
        ANSIBLE_COLLECTIONS_PATH=str(dest),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_NOCOLOR="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    proc = run(
        [
            venv / "bin" / "ansible-playbook",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            "ansible_python_interpreter=%s" % py,
            playbook,
        ],
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert str(dest) in run([venv / "bin" / "ansible-galaxy", "collection", "list", "signet.azure"], env=env).stdout


def test_galaxy_importer(tmp_path, collection_tarball):
    """Galaxy's importer on the tarball: metadata, docs via ansible-doc, ansible-lint, changelog, README, roles."""
    if not (REPO / "README.md").is_file():
        pytest.skip("README.md does not exist yet (the lead writes it); galaxy-importer refuses a collection without one")
    venv = cached_venv("venv-galaxy-importer", ["galaxy-importer==0.4.44"])
    cfg = tmp_path / "galaxy-importer.cfg"
    cfg.write_text(
        "[galaxy-importer]\nrun_ansible_test = False\nrun_ansible_lint = True\noffline_ansible_lint = True\n"
        "run_flake8 = False\ncheck_changelog = True\nlog_level_main = INFO\n"
    )
    env = clean_env(
        GALAXY_IMPORTER_CONFIG=str(cfg), PATH="%s:%s" % (venv / "bin", clean_env().get("PATH", "")), HOME=str(tmp_path)
    )
    proc = run([venv / "bin" / "python", "-m", "galaxy_importer.main", collection_tarball], env=env, cwd=tmp_path, timeout=600)
    out = proc.stdout + proc.stderr
    errors = [line for line in out.splitlines() if line.startswith("ERROR")]
    assert proc.returncode == 0 and not errors, "\n".join(errors) or out[-4000:]
