# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-lint, production profile (.ansible-lint), on the collection's roles and playbooks."""

from __future__ import annotations

import pytest

from .conftest import BIN, REPO, clean_env, run

TARGETS = [p for p in ("roles", "playbooks") if (REPO / p).is_dir()]


@pytest.mark.xdist_group("ansible-lint")
def test_ansible_lint_production():
    if not TARGETS:
        pytest.skip("no roles/ or playbooks/ yet")
    env = clean_env(
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "collections"),
        PATH="%s:/usr/local/bin:/usr/bin:/bin" % BIN,
        NO_COLOR="1",
        HOME=str(REPO / "build" / "ansible-lint-home"),
    )
    (REPO / "build" / "ansible-lint-home").mkdir(parents=True, exist_ok=True)
    proc = run([BIN / "ansible-lint", "--nocolor", "--offline", "-c", REPO / ".ansible-lint", *TARGETS], env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "production" in (REPO / ".ansible-lint").read_text()
