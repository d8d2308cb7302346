# SPDX-License-Identifier: GPL-3.0-or-later
"""The support matrix and the dependency declarations agree with each other.

* meta/runtime.yml ``requires_ansible`` is the oldest line the Makefile tests (CORE_OLDEST) and what the README says;
  the README names the newest line the Makefile tests (CORE_NEWEST).
* No sanity ignore file: every line runs its sanity tests without exceptions.
* requirements.txt (the runtime Python packages), meta/execution-environment.yml (what ansible-builder reads), the EE
  definition in extensions/ee, bindep.txt and the install docs (README, docs/docsite/rst/install.rst) tell one story:
  the same four packages, never ansible-core itself, an EE ansible-core range that starts at requires_ansible and stays
  within the tested lines, system packages only for building from source.
"""

from __future__ import annotations

import re

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from .conftest import REPO

RUNTIME = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
MAKEFILE = (REPO / "Makefile").read_text()
README = (REPO / "README.md").read_text()
INSTALL_GUIDE = REPO / "docs" / "docsite" / "rst" / "install.rst"


def make_var(name: str) -> str:
    match = re.search(r"^%s\s*:?=\s*(\S+)\s*$" % name, MAKEFILE, flags=re.M)
    assert match, "Makefile defines no %s" % name
    return match.group(1)


def minor(version: str) -> tuple[int, int]:
    major, minor_, *dummy = version.split(".")
    return int(major), int(minor_)


def runtime_requirements() -> list[Requirement]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return [Requirement(line.split("#")[0].strip()) for line in lines if line.split("#")[0].strip()]


def test_requires_ansible_is_the_oldest_tested_line():
    floor = re.fullmatch(r">=(\d+\.\d+)\.0", RUNTIME["requires_ansible"])
    assert floor, "requires_ansible should be a plain lower bound such as >=2.16.0: %r" % RUNTIME["requires_ansible"]
    assert floor.group(1) == make_var("CORE_OLDEST"), "requires_ansible and the Makefile's CORE_OLDEST differ"
    assert minor(make_var("CORE_OLDEST")) < minor(make_var("CORE_NEWEST"))


def test_readme_states_the_matrix():
    matrix = README[README.index("## Support matrix") :]
    assert 'requires_ansible: "%s"' % RUNTIME["requires_ansible"] in matrix
    assert "**%s** on Python 3.12" % make_var("CORE_NEWEST") in matrix
    assert "**%s**" % make_var("CORE_OLDEST") in matrix


def test_no_sanity_ignore_files():
    ignores = sorted((REPO / "tests" / "sanity").glob("ignore-*.txt")) if (REPO / "tests" / "sanity").is_dir() else []
    assert not [p.name for p in ignores if p.read_text().strip()], "sanity must pass without ignore entries"


def test_requirements_are_the_runtime_packages_only():
    names = sorted(r.name.lower() for r in runtime_requirements())
    assert names == ["cryptography", "msal", "pyyaml", "requests"], names
    assert not {"ansible", "ansible-core"} & set(names), "ansible-core comes from requires_ansible, not requirements.txt"


def test_ee_metadata_and_definition_agree():
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    assert meta["version"] == 1
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    assert all((REPO / rel).is_file() for rel in meta["dependencies"].values())
    definition = yaml.safe_load((REPO / "extensions" / "ee" / "execution-environment.yml").read_text())
    deps = definition["dependencies"]
    # the collection brings its own Python packages (introspection of meta/execution-environment.yml); an EE-level
    # list could only disagree with requirements.txt
    assert "python" not in deps, "extensions/ee lists Python packages: let requirements.txt (introspected) provide them"
    pin = Requirement(deps["ansible_core"]["package_pip"])
    assert pin.name == "ansible-core"
    floor = RUNTIME["requires_ansible"].lstrip(">=")
    assert pin.specifier.contains(floor), "the EE's %s excludes requires_ansible %s" % (pin, floor)
    assert not pin.specifier.contains("%d.%d.0" % (minor(floor)[0], minor(floor)[1] - 1)), (
        "the EE allows a core older than requires_ansible"
    )
    newest = minor(make_var("CORE_NEWEST"))
    untested = "%d.%d.0" % (newest[0], newest[1] + 1)
    assert not pin.specifier.contains(untested), "the EE's %s allows %s, newer than any line make test runs" % (pin, untested)


def test_bindep_is_compile_time_only():
    lines = [line.split("#")[0].strip() for line in (REPO / "bindep.txt").read_text().splitlines()]
    entries = [line for line in lines if line]
    assert entries
    for entry in entries:
        profiles = re.search(r"\[([^\]]*)\]", entry)
        assert profiles and "compile" in profiles.group(1).split(), "%s: runtime system packages contradict the docs" % entry


def test_install_docs_name_what_the_files_say():
    names = [r.name for r in runtime_requirements()]
    for path in (REPO / "README.md", INSTALL_GUIDE):
        text = path.read_text()
        for needed in (
            *names,
            "requirements.txt",
            "meta/execution-environment.yml",
            "bindep",
            "ansible-galaxy collection install",
        ):
            assert needed in text, "%s does not mention %s" % (path.name, needed)
    assert SpecifierSet(RUNTIME["requires_ansible"]).contains("%s.0" % make_var("CORE_OLDEST"))
    assert "ansible-core %s or later" % make_var("CORE_OLDEST") in INSTALL_GUIDE.read_text()
