# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the ecosystem checks: the collection tarball, an installed copy, cached virtualenvs under build/.

Everything here looks at the tree as it is at run time (modules, rst pages, credential types), so checks pick up
whatever other engineers have added since.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BUILD = REPO / "build"


def galaxy_info() -> dict:
    return yaml.safe_load((REPO / "galaxy.yml").read_text())


def module_names() -> list[str]:
    """The modules that exist right now (plugins/modules/*.py)."""
    return sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a command, return the completed process (text output); never raises on a non-zero exit."""
    return subprocess.run(
        [str(c) for c in cmd], cwd=str(cwd or REPO), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def clean_env(**extra: str) -> dict:
    """The environment for a tool run outside the test venv: no ANSIBLE_*, PYTHON*, VIRTUAL_ENV from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTHON", "VIRTUAL_ENV", "AZURE_", "SIGNET_"))}
    env.update(extra)
    return env


@contextlib.contextmanager
def file_lock(name: str):
    """An exclusive lock under build/ (pytest-xdist workers share the venv caches)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / (".%s.lock" % name), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def cached_venv(name: str, requirements: list[str], python: str = "python3.11") -> Path:
    """A virtualenv ``build/<name>-<hash>`` with ``pip install <requirements>``, reused while the inputs are unchanged.

    The hash covers the requirement strings and the content of any ``-r`` file among them, so editing
    requirements.txt builds a new venv. pip installs from the machine's package index; nothing else is fetched.
    """
    digest = hashlib.sha256()
    digest.update(python.encode())
    for item in requirements:
        digest.update(item.encode())
        path = REPO / item
        if path.is_file():
            digest.update(path.read_bytes())
    target = BUILD / ("%s-%s" % (name, digest.hexdigest()[:12]))
    stamp = target / ".complete"
    with file_lock(name):
        if stamp.exists():
            return target
        for old in BUILD.glob(name + "-*"):
            shutil.rmtree(old, ignore_errors=True)
        exe = shutil.which(python)
        if exe is None:
            pytest.fail("%s is needed to build the %s virtualenv" % (python, name))
        proc = run([exe, "-m", "venv", target], env=clean_env())
        assert proc.returncode == 0, proc.stderr
        args = []
        for item in requirements:
            args += ["-r", REPO / item] if (REPO / item).is_file() else [item]
        proc = run([target / "bin" / "pip", "install", "-q", *args], env=clean_env(), timeout=900)
        assert proc.returncode == 0, "pip install failed for %s:\n%s" % (name, proc.stderr[-4000:])
        stamp.write_text("\n".join(requirements) + "\n")
    return target


def snapshot(dest: Path) -> Path:
    """Copy the files git would commit (tracked + untracked, not ignored) to ``dest``: a stable tree to build from
    while other work goes on in the checkout. Files that vanish during the copy are left out."""
    proc = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], env=clean_env())
    if proc.returncode == 0:
        names = [n for n in proc.stdout.split("\0") if n]
    else:  # not a git checkout: everything but the usual build outputs
        names = [
            str(p.relative_to(REPO))
            for p in REPO.rglob("*")
            if p.is_file() and p.relative_to(REPO).parts[0] not in (".venv", "build", "node_modules", ".git")
        ]
    for name in names:
        src = REPO / name
        if not src.is_file() or src.is_symlink():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(src, target)
        except FileNotFoundError:
            continue
    return dest


@pytest.fixture(scope="session")
def collection_tarball(tmp_path_factory) -> Path:
    """``ansible-galaxy collection build`` of a snapshot of the work tree (galaxy.yml build_ignore applies)."""
    src = snapshot(tmp_path_factory.mktemp("galaxy-src") / "signet.azure")
    out = tmp_path_factory.mktemp("galaxy-build")
    proc = run([BIN / "ansible-galaxy", "collection", "build", "--output-path", out, src], env=clean_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info = galaxy_info()
    tarball = out / ("%s-%s-%s.tar.gz" % (info["namespace"], info["name"], info["version"]))
    assert tarball.is_file(), list(out.iterdir())
    return tarball


@pytest.fixture(scope="session")
def installed_collections(tmp_path_factory, collection_tarball) -> Path:
    """A collections path with the tarball installed by ``ansible-galaxy collection install`` (no dependencies)."""
    dest = tmp_path_factory.mktemp("installed")
    proc = run(
        [BIN / "ansible-galaxy", "collection", "install", "--no-deps", "-p", dest, collection_tarball],
        env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(dest)),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (dest / "ansible_collections" / "signet" / "azure" / "MANIFEST.json").is_file()
    return dest
