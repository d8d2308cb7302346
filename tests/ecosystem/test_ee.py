# SPDX-License-Identifier: GPL-3.0-or-later
"""Execution environment: ``ansible-builder create`` builds a context from extensions/ee/execution-environment.yml
with the collection tarball, and ansible-builder's own introspection (the script the image build runs) finds our
Python and system requirements in the installed collection. No container engine is needed."""

from __future__ import annotations

import sys

import yaml

from .conftest import BIN, REPO, clean_env, run


def requirement_lines(path):
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_builder_create_and_introspect(tmp_path, collection_tarball, installed_collections):
    definition = yaml.safe_load((REPO / "extensions" / "ee" / "execution-environment.yml").read_text())
    assert definition["version"] == 3
    definition_pin = definition["dependencies"]["ansible_core"]["package_pip"]  # checked in test_support_matrix.py
    assert [c["name"] for c in definition["dependencies"]["galaxy"]["collections"]] == ["signet.azure"]
    # Build from the local tarball instead of Galaxy: ship it in the context and install it from there.
    definition["dependencies"]["galaxy"] = {
        "collections": [{"name": "/build/collections/%s" % collection_tarball.name, "type": "file"}]
    }
    definition["additional_build_files"] = [{"src": str(collection_tarball), "dest": "collections"}]
    ee_file = tmp_path / "execution-environment.yml"
    ee_file.write_text(yaml.safe_dump(definition))
    context = tmp_path / "ee"
    proc = run(
        [BIN / "ansible-builder", "create", "-f", ee_file, "--context", context, "--output-filename", "Containerfile"],
        cwd=tmp_path,
        env=clean_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect" in containerfile
    assert 'ANSIBLE_INSTALL_REFS="%s' % definition_pin in containerfile
    build = context / "_build"
    assert (build / "collections" / collection_tarball.name).read_bytes() == collection_tarball.read_bytes()
    requirements = yaml.safe_load((build / "requirements.yml").read_text())
    assert requirements["collections"][0]["name"].endswith(collection_tarball.name)

    # The image build runs introspect.py over /usr/share/ansible/collections; run the same script over our install.
    pip_out, bindep_out = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    proc = run(
        [
            sys.executable,
            build / "scripts" / "introspect.py",
            "introspect",
            installed_collections,
            "--write-pip",
            pip_out,
            "--write-bindep",
            bindep_out,
        ],
        env=clean_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found_pip = [line.split("#")[0].strip() for line in pip_out.read_text().splitlines() if line.strip()]
    # ansible-builder drops what every EE already has (its EXCLUDE_REQUIREMENTS: pyyaml comes with ansible-core).
    introspect_src = (build / "scripts" / "introspect.py").read_text()
    for line in requirement_lines(REPO / "requirements.txt"):
        name = line.split(">")[0].split("=")[0].split("<")[0].strip().lower()
        if "'%s'" % name in introspect_src.split("EXCLUDE_REQUIREMENTS")[1].split("))")[0]:
            assert not any(entry.lower().startswith(name) for entry in found_pip), (name, found_pip)
            continue
        assert any(entry.startswith(line) for entry in found_pip), (line, found_pip)
    found_sys = bindep_out.read_text()
    for line in requirement_lines(REPO / "bindep.txt"):
        assert line in found_sys, (line, found_sys)
    assert "signet.azure" in proc.stdout
