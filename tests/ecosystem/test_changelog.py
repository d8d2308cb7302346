# SPDX-License-Identifier: GPL-3.0-or-later
"""Changelog: antsibull-changelog lint on the fragments and changelog.yaml; the galaxy.yml version is released (with
CHANGELOG.rst); a dry run releases the next version in a copy, turning every pending fragment into CHANGELOG.rst, and
every module is listed as new in exactly one release."""

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


def released() -> dict:
    return yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())["releases"] or {}


def next_version(version: str) -> str:
    major, minor, dummy = (int(part) for part in version.split("."))
    return "%d.%d.0" % (major, minor + 1)


def test_galaxy_version_is_released():
    """galaxy.yml names a version that changelog.yaml has released, and CHANGELOG.rst is generated from it."""
    version = str(galaxy_info()["version"])
    releases = released()
    assert version in releases, "galaxy.yml says %s; changelogs/changelog.yaml has %s" % (version, sorted(releases))
    assert releases[version].get("release_date"), version
    assert "\nv%s\n" % version in (REPO / "CHANGELOG.rst").read_text()


def test_released_fragments_are_gone():
    """A fragment that is part of a release was removed by `antsibull-changelog release` (keep_fragments: false)."""
    present = {p.name for p in (REPO / "changelogs" / "fragments").glob("*.y*ml")}
    for version, release in released().items():
        assert not present & set(release.get("fragments", [])), (version, present & set(release.get("fragments", [])))


def test_release_dry_run(tmp_path):
    """`antsibull-changelog release` of the next version on a copy: the fragments become CHANGELOG.rst, and every
    module is new in exactly one release."""
    root = tmp_path / "ansible_collections" / "signet" / "azure"
    root.mkdir(parents=True)
    for name in ("galaxy.yml", "changelogs", "plugins", "meta", "roles"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / name)
    version = next_version(str(galaxy_info()["version"]))
    info = yaml.safe_load((root / "galaxy.yml").read_text())
    info["version"] = version
    (root / "galaxy.yml").write_text(yaml.safe_dump(info))
    env = clean_env(PATH="%s:/usr/bin:/bin" % BIN, ANSIBLE_COLLECTIONS_PATH=str(tmp_path))
    proc = run(
        [BIN / "antsibull-changelog", "release", "--version", version, "--date", "2027-01-01"], cwd=root, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (root / "CHANGELOG.rst").read_text()
    assert "v%s" % version in text
    for entry in fragment_entries():
        first_line = entry.strip().splitlines()[0]
        assert first_line.split(" - ")[-1][:40] in text.replace("\n", " "), first_line
    releases = yaml.safe_load((root / "changelogs" / "changelog.yaml").read_text())["releases"]
    new_modules = [m["name"] for release in releases.values() for m in release.get("modules", [])]
    assert sorted(new_modules) == module_names(), set(module_names()) ^ set(new_modules)
