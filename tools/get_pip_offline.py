# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for get-pip.py, for ansible-test --venv (`make sanity`, `make sanity-2.16`, `make sanity-2.21`).

ansible-test creates its virtualenvs without pip and then runs a get-pip.py that it downloads from
ci-files.testing.ansible.com, which is not reachable here. It first looks in ~/.ansible/test/cache/get_pip_<ver>.py,
where `python tools/get_pip_offline.py --install [CACHE_DIR]` puts this file (once per pip version that the
ansible-test lines we run ask for) together with a snapshot of this machine's pip settings (package index, CA bundle,
constraints), taken with the caller's HOME: ansible-test runs pip with a reduced environment, and ensurepip points
PIP_CONFIG_FILE at /dev/null. The Makefile runs ansible-test with HOME=build/ansible-test-home, so that cache and
ansible-test's sanity venvs live under build/.

As get-pip.py it bootstraps pip from the wheel bundled with Python (ensurepip, no download), writes the pip
settings snapshot into the new venv (``<venv>/pip.conf``, read by every later pip run there), then runs
``pip install`` with the arguments it was given (ansible-test's pip pin, minus get-pip's own options).
"""

from __future__ import annotations

import configparser
import ensurepip
import os
import shutil
import subprocess
import sys
from pathlib import Path

CACHE = Path.home() / ".ansible" / "test" / "cache"
# ansible-test's pip bootstrap pins: 2.16 -> 23.1.2, 2.19 -> 24.2, 2.21 -> 25.2 (get_venv_packages in
# ansible_test/_internal/python_requirements.py). A new ansible-core line may need its pin added here.
PIP_VERSIONS = ("23.1.2", "24.2", "25.2")
GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")  # options of get-pip.py that `pip install` does not know


def snapshot_pip_config(dest: Path) -> None:
    """Write the effective pip settings (files and PIP_* environment) of the current interpreter as one pip.conf."""
    out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True).stdout
    config = configparser.ConfigParser()
    for line in out.splitlines():
        key, dummy, value = line.partition("=")
        section, dummy, name = key.partition(".")
        if not name:
            continue
        section = "global" if section in (":env:", "global") else section
        if not config.has_section(section):
            config.add_section(section)
        config.set(section, name, value.strip().strip("'\""))
    with open(dest, "w") as fh:
        config.write(fh)


def install(cache: Path) -> int:
    cache.mkdir(parents=True, exist_ok=True)
    snapshot_pip_config(cache / "signet-pip.conf")
    for version in PIP_VERSIONS:
        shutil.copy2(__file__, cache / ("get_pip_%s.py" % version.replace(".", "_")))
    return 0


def bootstrap(args: list[str]) -> int:
    env = dict(os.environ)  # before ensurepip, which points PIP_CONFIG_FILE at /dev/null
    ensurepip.bootstrap(upgrade=True)
    conf = Path(__file__).with_name("signet-pip.conf")  # written by install() beside this copy
    if conf.exists():
        shutil.copy2(conf, Path(sys.prefix) / "pip.conf")
        env["PIP_CONFIG_FILE"] = str(Path(sys.prefix) / "pip.conf")
    args = [a for a in args if a not in GET_PIP_ONLY]
    return subprocess.call([sys.executable, "-m", "pip", "install", *args], env=env)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--install"]:
        sys.exit(install(Path(sys.argv[2]) if len(sys.argv) > 2 else CACHE))
    sys.exit(bootstrap(sys.argv[1:]))
