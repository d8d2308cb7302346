# SPDX-License-Identifier: GPL-3.0-or-later
"""Docs: every user guide is listed in extra-docs.yml, and antsibull-docs lints the collection docs (plugin doc
blocks, the guides, links.yml). The HTML build (`make docs`) is not part of the suite; see tools/build_docs.py."""

from __future__ import annotations

import re
import sys

import pytest
import yaml

from .conftest import REPO, run

sys.path.insert(0, str(REPO / "tools"))
import build_docs  # noqa: E402

RST = sorted((REPO / "docs" / "docsite" / "rst").glob("*.rst"))


def test_every_rst_is_listed_in_extra_docs():
    problems = build_docs.check_extra_docs()
    assert not problems, "\n".join(problems) + "\nfix: python tools/build_docs.py --sync-extra-docs"


def test_links_yml():
    links = yaml.safe_load((REPO / "docs" / "docsite" / "links.yml").read_text())
    assert links["edit_on_github"]["repository"] == "signet-azure/signet.azure"
    assert all(link["url"].startswith("https://") for link in links.get("extra_links", []))


@pytest.mark.parametrize("page", RST, ids=[p.stem for p in RST])
def test_guide_label(page):
    """antsibull-docs wants every label of a guide to start with ansible_collections.signet.azure.docsite."""
    labels = re.findall(r"^\.\. _([^:]+):", page.read_text(), flags=re.M)
    bad = [label for label in labels if not label.startswith("ansible_collections.signet.azure.docsite.")]
    assert not bad, "%s: labels %s must start with ansible_collections.signet.azure.docsite." % (page.name, bad)


@pytest.mark.xdist_group("docs-lint")
def test_antsibull_docs_lint():
    """The same lint as `make docs`, without rstcheck of the generated plugin pages (the slow part)."""
    proc = run([sys.executable, REPO / "tools" / "build_docs.py", "--lint-only", "--skip-rstcheck"], timeout=900)
    findings = [line for line in proc.stdout.splitlines() if ":0:0:" in line or re.search(r"\.rst:\d+:\d+:", line)]
    assert proc.returncode == 0, "\n".join(findings) or proc.stdout[-4000:] + proc.stderr[-2000:]


def test_readme_sections_draft():
    text = (REPO / "docs" / "README-sections.md").read_text()
    for heading in ("## What it is", "## Why", "## 30-second examples", "## Support matrix", "## Documentation"):
        assert heading in text, heading
    assert "{{BENCH:" in text
