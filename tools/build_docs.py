# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the collection docs (``make docs``) with antsibull-docs, from the modules' own doc blocks.

Steps:

1. Rewrite docs/docsite/extra-docs.yml so it lists every page under docs/docsite/rst (the user guides are written
   by several people; a page that exists is always listed, in GUIDE_ORDER first). ``--sync-extra-docs`` does only
   this; ``--lint-only`` never writes and reports unlisted pages instead.
2. ``antsibull-docs lint-collection-docs --plugin-docs`` on the work tree: plugin doc schema and markup, links
   between plugins, the extra docs and links.yml, rstcheck of the generated RST.
3. Unless ``--lint-only``: ``antsibull-docs sphinx-init --use-current`` into build/docs and a Sphinx build of
   build/docs/build/html (needs sphinx-ansible-theme, in requirements-test.txt).

``python tools/build_docs.py --check-extra-docs`` only verifies that extra-docs.yml is in sync (used by tests).
Exit status is non-zero on any failure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DOCSITE = REPO / "docs" / "docsite"
RST = DOCSITE / "rst"
EXTRA_DOCS = DOCSITE / "extra-docs.yml"
BIN = Path(sys.executable).parent
COLLECTION = "signet.azure"
# Reading order of the guides; pages not listed here follow in alphabetical order.
GUIDE_ORDER = [
    "install",
    "auth-overview",
    "storage",
    "batch",
    "entra",
    "keyvault",
    "classic",
    "rotation",
    "troubleshooting-403",
    "awx-and-pipelines",
]
HEADER = (
    "---\n"
    "# SPDX-License-Identifier: GPL-3.0-or-later\n"
    "# The user guides of the collection docsite (antsibull-docs). Every page under docs/docsite/rst must be listed:\n"
    "# run `python tools/build_docs.py --sync-extra-docs` (or `make docs`) after adding one.\n"
)


def pages() -> list[str]:
    """The rst pages that exist, in reading order."""
    present = {p.stem for p in RST.glob("*.rst")}
    ordered = [name for name in GUIDE_ORDER if name in present]
    return ordered + sorted(present - set(ordered))


def wanted_extra_docs() -> dict:
    return {"sections": [{"title": "Guides", "toctree": pages()}]}


def listed_pages() -> list[str]:
    data = yaml.safe_load(EXTRA_DOCS.read_text()) if EXTRA_DOCS.exists() else None
    out = []
    for section in (data or {}).get("sections", []):
        for entry in section.get("toctree", []):
            out.append(entry["ref"] if isinstance(entry, dict) else entry)
    return out


def sync_extra_docs() -> bool:
    """Rewrite extra-docs.yml when it differs; return True if it changed."""
    text = HEADER + yaml.safe_dump(wanted_extra_docs(), sort_keys=False)
    if EXTRA_DOCS.exists() and EXTRA_DOCS.read_text() == text:
        return False
    EXTRA_DOCS.write_text(text)
    return True


def check_extra_docs() -> list[str]:
    """Problems with extra-docs.yml: pages that exist but are not listed, and entries without a page."""
    listed = listed_pages()
    present = pages()
    problems = ["docs/docsite/rst/%s.rst is not listed in docs/docsite/extra-docs.yml" % p for p in present if p not in listed]
    problems += [
        "docs/docsite/extra-docs.yml lists %r but docs/docsite/rst/%s.rst does not exist" % (p, p)
        for p in listed
        if p not in present
    ]
    return problems


def collection_root(tmp: Path) -> Path:
    """A collections path holding the work tree as ansible_collections/signet/azure (a symlink)."""
    link = tmp / "ansible_collections" / "signet" / "azure"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO)
    return tmp


def tool_env(collections: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    env["PATH"] = "%s:%s" % (BIN, env.get("PATH", ""))
    return env


def lint(collections: Path, skip_rstcheck: bool = False) -> int:
    cmd = [
        str(BIN / "antsibull-docs"),
        "lint-collection-docs",
        "--plugin-docs",
        "--check-extra-docs-refs",
        "--validate-collection-refs",
        "dependent",
    ]
    if skip_rstcheck:
        cmd.append("--skip-rstcheck")
    cmd.append(str(collections / "ansible_collections" / "signet" / "azure"))
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, env=tool_env(collections), check=False).returncode


def sphinx_build(collections: Path, dest: Path) -> int:
    try:
        import sphinx_ansible_theme  # noqa: F401
    except ImportError:
        print("sphinx-ansible-theme is not installed (requirements-test.txt): skipping the HTML build", file=sys.stderr)
        return 0
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    dest.chmod(0o700)  # antsibull-docs insists on a directory only its owner can write
    env = tool_env(collections)
    init = [str(BIN / "antsibull-docs"), "sphinx-init", "--use-current", "--dest-dir", str(dest), COLLECTION]
    print("+ " + " ".join(init), flush=True)
    rc = subprocess.run(init, env=env, check=False).returncode
    if rc:
        return rc
    # Offline: sphinx-init's conf.py lists intersphinx inventories on docs.ansible.com and python.org; nothing may be
    # fetched here, so drop them. References into those docs (common_return_values, ansible.builtin plugins) then
    # stay unresolved; the lint above validates the collection's own references.
    with open(dest / "conf.py", "a") as fh:
        fh.write(
            "\n# added by tools/build_docs.py: offline build\n"
            "extensions = [e for e in extensions if e != 'sphinx.ext.intersphinx']\n"
            "intersphinx_mapping = {}\n"
            "suppress_warnings = ['ref.ref']\n"
        )
    # build.sh from sphinx-init: antsibull-docs collection --use-current into rst/, then sphinx-build -W.
    print("+ bash %s" % (dest / "build.sh"), flush=True)
    return subprocess.run(["bash", str(dest / "build.sh")], env=env, cwd=str(dest), check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lint-only", action="store_true", help="run the antsibull-docs lint, not the HTML build")
    parser.add_argument("--html-only", action="store_true", help="skip the lint, only build the HTML")
    parser.add_argument("--skip-rstcheck", action="store_true", help="pass --skip-rstcheck to the lint")
    parser.add_argument("--sync-extra-docs", action="store_true", help="only rewrite docs/docsite/extra-docs.yml")
    parser.add_argument("--check-extra-docs", action="store_true", help="only check docs/docsite/extra-docs.yml")
    parser.add_argument("--dest", default=str(REPO / "build" / "docs"), help="output directory (default build/docs)")
    args = parser.parse_args(argv)
    if args.check_extra_docs:
        problems = check_extra_docs()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    if args.sync_extra_docs or not args.lint_only:  # `make docs` keeps the list in sync; the lint alone never writes
        if sync_extra_docs():
            print("updated docs/docsite/extra-docs.yml", flush=True)
        if args.sync_extra_docs:
            return 0
    else:
        for problem in check_extra_docs():
            print(problem, flush=True)
    collections = collection_root(REPO / "build" / "docs-collections")
    if not args.html_only:
        start = time.monotonic()
        rc = lint(collections, args.skip_rstcheck)
        print("lint: rc=%d in %.1f s" % (rc, time.monotonic() - start), flush=True)
        if rc or args.lint_only:
            return rc
    start = time.monotonic()
    rc = sphinx_build(collections, Path(args.dest))
    print("html: rc=%d in %.1f s -> %s" % (rc, time.monotonic() - start, Path(args.dest) / "build" / "html"), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
