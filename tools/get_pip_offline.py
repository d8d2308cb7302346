# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for get-pip.py, for ansible-test 2.16 (`make sanity-2.16`).

ansible-test 2.16 creates its virtualenvs without pip and then runs a get-pip.py that it downloads from
ci-files.testing.ansible.com, which is not reachable here. It first looks in ~/.ansible/test/cache/get_pip_<ver>.py,
where `python tools/get_pip_offline.py --install` puts this file together with a snapshot of this machine's pip
settings (package index, CA bundle: ansible-test runs pip with a reduced environment that drops PIP_* variables).

As get-pip.py it bootstraps pip from the wheel bundled with Python (ensurepip, no download), writes the pip
settings snapshot into the new venv (``<venv>/pip.conf``, read by every later pip run there), then runs
``pip install`` with the arguments it was given (the pip, setuptools and wheel pins of ansible-test).
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
PIP_VERSIONS = ("23.1.2",)  # ansible-test 2.16's bootstrap pin


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


def install() -> int:
    CACHE.mkdir(parents=True, exist_ok=True)
    snapshot_pip_config(CACHE / "signet-pip.conf")
    for version in PIP_VERSIONS:
        shutil.copy2(__file__, CACHE / ("get_pip_%s.py" % version.replace(".", "_")))
    return 0


def bootstrap(args: list[str]) -> int:
    ensurepip.bootstrap(upgrade=True)
    conf = CACHE / "signet-pip.conf"
    if conf.exists():
        shutil.copy2(conf, Path(sys.prefix) / "pip.conf")
        os.environ["PIP_CONFIG_FILE"] = str(Path(sys.prefix) / "pip.conf")
    return subprocess.call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    sys.exit(install() if sys.argv[1:] == ["--install"] else bootstrap(sys.argv[1:]))
