# SPDX-License-Identifier: GPL-3.0-or-later
"""The managed-node Python range of the support matrix: the oldest (3.9) and the newest (3.13) Python we claim.

For each, a virtualenv with only requirements.txt (plus an ansible-core that installs on that Python, for
``ansible.module_utils``: 2.15 is the last one for 3.9, 2.21 the newest) imports every module and module_util, and is
the module interpreter (``ansible_python_interpreter``) of a playbook that runs the storage modules against Azurite
from the .venv controller. Interpreters are found on PATH or under `pyenv root` (tools/find_python.sh); a missing one
is a skip on a developer machine and a failure in CI.
"""

from __future__ import annotations

import os

import pytest
import yaml

from .conftest import BIN, REPO, cached_venv, clean_env, module_names, run

# Python -> the ansible-core that provides ansible.module_utils in its venv
NODE_PYTHONS = {"3.9": "ansible-core==2.15.*", "3.13": "ansible-core==2.21.*"}


def find_python(version: str) -> str:
    proc = run([REPO / "tools" / "find_python.sh", version], env=clean_env())
    if proc.returncode != 0:
        message = "no Python %s interpreter on this machine (%s)" % (version, proc.stderr.strip())
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return proc.stdout.strip()


@pytest.fixture(scope="module", params=sorted(NODE_PYTHONS, key=lambda v: tuple(map(int, v.split(".")))))
def node_venv(request):
    version = request.param
    venv = cached_venv(
        "venv-py%s" % version.replace(".", ""), ["requirements.txt", NODE_PYTHONS[version]], python=find_python(version)
    )
    return version, venv


@pytest.mark.xdist_group("python-support")
def test_every_plugin_imports(node_venv):
    version, venv = node_venv
    names = ["ansible_collections.signet.azure.plugins.modules.%s" % m for m in module_names()]
    names += [
        "ansible_collections.signet.azure.plugins." + ".".join(p.relative_to(REPO / "plugins").with_suffix("").parts)
        for p in sorted((REPO / "plugins" / "module_utils").rglob("*.py"))
        if p.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        "assert '%d.%d' % sys.version_info[:2] == sys.argv[1], sys.version\n"
        "failed = []\n"
        "for n in sys.argv[2:]:\n"
        "    try:\n"
        "        importlib.import_module(n)\n"
        "    except Exception as e:\n"
        "        failed.append('%s: %r' % (n, e))\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    proc = run(
        [venv / "bin" / "python", "-c", code, version, *names], env=clean_env(PYTHONPATH=str(REPO / "build" / "collections"))
    )
    assert proc.returncode == 0, "Python %s:\n%s%s" % (version, proc.stdout, proc.stderr[-3000:])


@pytest.mark.xdist_group("python-support")
def test_storage_modules_run(tmp_path, azurite, node_venv):
    version, venv = node_venv
    creds = {"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint}
    container = "py%s-check" % version.replace(".", "")
    tasks = [{"name": "List with request", "signet.azure.request": {"path": "/?comp=list"}, "register": "listing"}]
    if "storage_container" in module_names():
        tasks += [
            {"name": "Create a container", "signet.azure.storage_container": {"name": container, "state": "present"}},
            {"name": "Remove it", "signet.azure.storage_container": {"name": container, "state": "absent"}},
        ]
    if "storage_container_info" in module_names():
        tasks.append({"name": "Info", "signet.azure.storage_container_info": {}})
    minor = int(version.split(".")[1])
    tasks.append(
        {
            "name": "The modules ran on Python %s" % version,
            "ansible.builtin.assert": {"that": ["ansible_facts.python.version.minor == %d" % minor]},
        }
    )
    play = [
        {
            "name": "Python %s node" % version,
            "hosts": "localhost",
            "gather_facts": True,
            "module_defaults": {"group/signet.azure.storage": creds},
            "tasks": tasks,
        }
    ]
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
            "ansible_python_interpreter=%s" % (venv / "bin" / "python"),
            playbook,
        ],
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
