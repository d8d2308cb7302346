# SPDX-License-Identifier: GPL-3.0-or-later
"""Changelog: antsibull-changelog lint on the fragments and changelog.yaml, and a release dry run in a copy that
turns every fragment into CHANGELOG.rst and lists every module as new in 1.0.0."""

from __future__ import annotations

import shutil

import yaml

from .conftest import BIN, REPO, clean_env, galaxy_info, module_names, run


def fragment_entries() -> list[str]:
    entries = []
    for path in sorted((REPO / "changelogs" / "fragments").glob("*.y*ml")):
        data = yaml.safe_load(path.read_text()) or {}
        for section, items in data.items():
            if section == "trivial":
                continue
            entries += [items] if isinstance(items, str) else list(items or [])
    return entries


def test_changelog_config():
    config = yaml.safe_load((REPO / "changelogs" / "config.yaml").read_text())
    assert config["title"] == "signet.azure"
    assert config["changes_file"] == "changelog.yaml" and config["notesdir"] == "fragments"
    assert config["use_fqcn"] is True


def test_antsibull_changelog_lint():
    env = clean_env(PATH="%s:/usr/bin:/bin" % BIN)
    proc = run([BIN / "antsibull-changelog", "lint"], env=env)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr
    proc = run([BIN / "antsibull-changelog", "lint-changelog-yaml", REPO / "changelogs" / "changelog.yaml"], env=env)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_lint_rejects_a_bad_fragment(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("not_a_section:\n  - signet.azure.request - nothing.\n")
    proc = run([BIN / "antsibull-changelog", "lint", bad], env=clean_env(PATH="%s:/usr/bin:/bin" % BIN))
    assert proc.returncode != 0 and "invalid section" in proc.stdout


def test_release_dry_run(tmp_path):
    """`antsibull-changelog release` on a copy: fragments become CHANGELOG.rst, modules are listed as new."""
    root = tmp_path / "ansible_collections" / "signet" / "azure"
    root.mkdir(parents=True)
    for name in ("galaxy.yml", "changelogs", "plugins", "meta"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / name)
    version = str(galaxy_info()["version"])
    env = clean_env(PATH="%s:/usr/bin:/bin" % BIN, ANSIBLE_COLLECTIONS_PATH=str(tmp_path))
    proc = run(
        [BIN / "antsibull-changelog", "release", "--version", version, "--date", "2026-12-01"], cwd=root, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (root / "CHANGELOG.rst").read_text()
    assert "v%s" % version in text
    for entry in fragment_entries():
        first_line = entry.strip().splitlines()[0]
        assert first_line.split(" - ")[-1][:40] in text.replace("\n", " "), first_line
    changes = yaml.safe_load((root / "changelogs" / "changelog.yaml").read_text())
    new_modules = {m["name"] for m in changes["releases"][version].get("modules", [])}
    assert new_modules == set(module_names()), set(module_names()) ^ new_modules
