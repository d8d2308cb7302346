# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for ansible-test's pip bootstrap script (get-pip-<version>.py from ci-files.testing.ansible.com).

ansible-test --venv downloads that script to ~/.ansible/test/cache/get_pip_<version>.py; the host cannot reach it.
This shim installs pip with the interpreter's own ``ensurepip`` and then installs the requested packages from the
configured package index. ``make sanity`` copies it into the cache when the real script is absent.
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main() -> int:
    env = dict(os.environ)  # ensurepip points PIP_CONFIG_FILE at /dev/null; the install must see the pip config
    ensurepip.bootstrap(upgrade=True)
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
    return subprocess.call([sys.executable, "-m", "pip", "install"] + args, env=env)


if __name__ == "__main__":
    sys.exit(main())
