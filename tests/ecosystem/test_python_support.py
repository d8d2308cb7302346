# SPDX-License-Identifier: GPL-3.0-or-later
"""The managed-node Python floor of the support matrix: Python 3.9.

A Python 3.9 virtualenv with only requirements.txt (plus ansible-core 2.15, the last one that installs on 3.9, for
``ansible.module_utils``) imports every module and module_util, and is the interpreter of a playbook that runs the
storage modules against Azurite from the 3.11 controller.
"""

from __future__ import annotations

import glob
import shutil

import pytest
import yaml

from .conftest import BIN, REPO, cached_venv, clean_env, module_names, run

pytestmark = pytest.mark.xdist_group("py39")


def python39() -> str:
    candidates = sorted(glob.glob("/root/.pyenv/versions/3.9.*/bin/python3.9")) + [shutil.which("python3.9") or ""]
    for candidate in candidates:
        if (
            candidate
            and run([candidate, "-c", "import sys; print(sys.version_info[:2])"], env=clean_env()).stdout.strip() == "(3, 9)"
        ):
            return candidate
    pytest.skip("no Python 3.9 interpreter on this machine")


@pytest.fixture(scope="module")
def venv39():
    return cached_venv("venv-py39", ["requirements.txt", "ansible-core==2.15.*"], python=python39())


def test_every_plugin_imports_on_python39(venv39):
    names = ["ansible_collections.signet.azure.plugins.modules.%s" % m for m in module_names()]
    names += [
        "ansible_collections.signet.azure.plugins." + ".".join(p.relative_to(REPO / "plugins").with_suffix("").parts)
        for p in sorted((REPO / "plugins" / "module_utils").rglob("*.py"))
        if p.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        "failed = []\n"
        "for n in sys.argv[1:]:\n"
        "    try:\n"
        "        importlib.import_module(n)\n"
        "    except Exception as e:\n"
        "        failed.append('%s: %r' % (n, e))\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    proc = run([venv39 / "bin" / "python", "-c", code, *names], env=clean_env(PYTHONPATH=str(REPO / "build" / "collections")))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]


def test_storage_modules_run_on_python39(tmp_path, azurite, venv39):
    creds = {"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint}
    tasks = [{"name": "List with request", "signet.azure.request": {"path": "/?comp=list"}, "register": "listing"}]
    if "storage_container" in module_names():
        tasks += [
            {"name": "Create a container", "signet.azure.storage_container": {"name": "py39-check", "state": "present"}},
            {"name": "Remove it", "signet.azure.storage_container": {"name": "py39-check", "state": "absent"}},
        ]
    if "storage_container_info" in module_names():
        tasks.append({"name": "Info", "signet.azure.storage_container_info": {}})
    play = [
        {
            "name": "Python 3.9 node",
            "hosts": "localhost",
            "gather_facts": True,
            "module_defaults": {"group/signet.azure.storage": creds},
            "tasks": tasks,
        }
    ]
    play[0]["tasks"].append(
        {"name": "It was 3.9", "ansible.builtin.assert": {"that": ["ansible_facts.python.version.minor == 9"]}}
    )
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = clean_env(
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "collections"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_NOCOLOR="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    proc = run(
        [
            BIN / "ansible-playbook",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            "ansible_python_interpreter=%s" % (venv39 / "bin" / "python"),
            playbook,
        ],
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
