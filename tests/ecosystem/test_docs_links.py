# SPDX-License-Identifier: GPL-3.0-or-later
"""Docs link check: everything the docs point at exists.

* Markdown (README.md, CONTRIBUTING.md, docs/**/*.md, roles/*/README.md): every relative ``[text](target)`` names an
  existing file or directory (an ``#anchor`` is dropped).
* The guides (docs/docsite/rst/*.rst): each starts with its own label; every ``:ref:`` names a label of a guide or a
  page that antsibull-docs generates for an existing plugin or role (``ansible_collections.signet.azure.<name>_<type>``);
  every relative ```text <target>`_`` link resolves from the guide's directory.
* Repository paths named in prose (````playbooks/vars/x.yml```` in a guide, ```roles/...``` in markdown; code blocks,
  which show the user's own files, are left out) and the YAML files named in the comments of shipped YAML
  (playbooks/, roles/, extensions/, meta/) exist.

The files are read as they are at run time, so the check covers pages and plugins that others add.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import REPO

TOP_DIRS = ("playbooks", "roles", "extensions", "docs", "meta", "plugins", "changelogs", "tests", "tools", "benchmarks")
REPO_PATH = re.compile(r"^(?:%s)/[\w./*-]*$" % "|".join(TOP_DIRS))
RST = sorted((REPO / "docs" / "docsite" / "rst").glob("*.rst"))
MARKDOWN = sorted(
    {REPO / "README.md", REPO / "CONTRIBUTING.md", *(REPO / "docs").rglob("*.md"), *(REPO / "roles").glob("*/README.md")}
)
SHIPPED_YAML = sorted(p for top in ("playbooks", "roles", "extensions", "meta") for p in (REPO / top).rglob("*.y*ml"))
PLUGIN_TYPES = ("modules", "lookup", "filter", "inventory", "callback", "connection", "test")


def rel(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def exists(target: str, base: Path) -> bool:
    """A path (or glob) relative to ``base`` or, failing that, to the repository root."""
    for root in (base, REPO):
        if any(ch in target for ch in "*?["):
            if list(root.glob(target)):
                return True
        elif (root / target).exists():
            return True
    return False


def prose_lines(text: str, fence: str) -> list[tuple[int, str]]:
    """The lines outside code blocks: markdown fences (```), or rst literal blocks (``::`` / ``.. code-block::``)."""
    lines, out, in_block, block_indent = text.splitlines(), [], False, 0
    for number, line in enumerate(lines, 1):
        if fence == "md":
            if line.lstrip().startswith("```"):
                in_block = not in_block
                continue
            if not in_block:
                out.append((number, line))
            continue
        indent = len(line) - len(line.lstrip())
        if in_block:
            if line.strip() and indent <= block_indent:
                in_block = False
            else:
                continue
        stripped = line.strip()
        if stripped.startswith((".. code-block::", ".. code::", ".. sourcecode::")) or stripped.endswith("::"):
            in_block, block_indent = True, indent
            if stripped.startswith(".."):
                continue
        out.append((number, line))
    return out


def rst_labels() -> set[str]:
    labels = set()
    for page in RST:
        labels |= set(re.findall(r"^\.\. _([^:]+):\s*$", page.read_text(), flags=re.M))
    for kind in PLUGIN_TYPES:
        suffix = "module" if kind == "modules" else kind
        labels |= {
            "ansible_collections.signet.azure.%s_%s" % (p.stem, suffix)
            for p in (REPO / "plugins" / kind).glob("*.py")
            if not p.name.startswith("_")
        }
    labels |= {"ansible_collections.signet.azure.%s_role" % p.name for p in (REPO / "roles").iterdir() if p.is_dir()}
    return labels


def markdown_problems(page: Path) -> list[str]:
    problems = []
    for number, line in prose_lines(page.read_text(), "md"):
        for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            path = target.split("#")[0]
            if not exists(path, page.parent):
                problems.append("%s:%d: link target %s does not exist" % (rel(page), number, target))
        for literal in re.findall(r"`([^`]+)`", line):
            if REPO_PATH.match(literal) and not exists(literal, page.parent):
                problems.append("%s:%d: `%s` does not exist" % (rel(page), number, literal))
    return problems


def rst_problems(page: Path, labels: set[str]) -> list[str]:
    text = page.read_text()
    problems = []
    first = next((line for line in text.splitlines() if line.strip() and not line.startswith(".. SPDX")), "")
    if not re.match(r"^\.\. _ansible_collections\.signet\.azure\.docsite\.[\w-]+:\s*$", first):
        problems.append(
            "%s: the page does not start with its label (.. _ansible_collections.signet.azure.docsite.<name>:)" % rel(page)
        )
    for number, line in prose_lines(text, "rst"):
        for target in re.findall(r":ref:`(?:[^`<]*<)?([^`<>]+)>?`", line):
            if target.strip() not in labels:
                problems.append("%s:%d: :ref: target %s is not defined" % (rel(page), number, target.strip()))
        for target in re.findall(r"`[^`<]*<([^>`]+)>`__?", line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            if not exists(target.split("#")[0], page.parent):
                problems.append("%s:%d: link target %s does not exist" % (rel(page), number, target))
        for literal in re.findall(r"``([^`]+)``", line):
            if REPO_PATH.match(literal) and not exists(literal, page.parent):
                problems.append("%s:%d: ``%s`` does not exist" % (rel(page), number, literal))
    return problems


def yaml_comment_problems(path: Path) -> list[str]:
    problems = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if "#" not in line:
            continue
        for name in re.findall(r"[\w@./-]+\.ya?ml\b", line[line.index("#") :]):
            name = name.lstrip("@")
            if not any((base / name).exists() for base in (path.parent, *path.parents)):
                problems.append("%s:%d: the comment names %s, which does not exist" % (rel(path), number, name))
    return problems


@pytest.mark.parametrize("page", MARKDOWN, ids=[rel(p) for p in MARKDOWN])
def test_markdown_links(page):
    problems = markdown_problems(page)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", RST, ids=[p.name for p in RST])
def test_rst_references(page):
    problems = rst_problems(page, rst_labels())
    assert not problems, "\n".join(problems)


def test_yaml_comments_name_existing_files():
    problems = [problem for path in SHIPPED_YAML for problem in yaml_comment_problems(path)]
    assert not problems, "\n".join(problems)


def test_the_check_finds_broken_links(tmp_path):
    """The checker itself: a broken link, ref, path and comment are each reported."""
    md = tmp_path / "page.md"
    md.write_text("[guide](docs/nope.md) and `playbooks/vars/nope.yml`\n```\n`playbooks/in-a-code-block.yml`\n```\n")
    assert len(markdown_problems(md)) == 2
    rst = tmp_path / "probe.rst"
    rst.write_text(
        ".. _ansible_collections.signet.azure.docsite.probe:\n\nProbe\n=====\n\n"
        "See :ref:`ansible_collections.signet.azure.docsite.nope` and ``roles/nope/README.md``.\n\n"
        ".. code-block:: yaml\n\n    path: playbooks/site.yml\n"
    )
    labels = rst_labels()
    assert "ansible_collections.signet.azure.request_module" in labels
    problems = rst_problems(rst, labels)
    assert len(problems) == 2, problems
    yml = tmp_path / "x.yml"
    yml.write_text("---\n# see entra.yml\nkey: value  # and vars/nope.yml\n")
    assert len(yaml_comment_problems(yml)) == 2
