# SPDX-License-Identifier: GPL-3.0-or-later
"""module_defaults as the docs teach them: the options that the authentication overview lists for a group are
accepted by every module of that group (meta/runtime.yml), because Ansible hands a group's defaults to all its members
unfiltered. The Batch options, for example, fail the Key Vault modules, so they must not be listed for
group/signet.azure.entra (which holds the Batch modules too). The real argument specs are read the way
tests/unit/test_action_groups.py reads them."""

from __future__ import annotations

import re

import pytest
import yaml

from .conftest import REPO, module_names

GUIDE = REPO / "docs" / "docsite" / "rst" / "auth-overview.rst"
GROUPS = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["action_groups"]


def documented_group_options() -> dict[str, list[str]]:
    """group -> the ``option`` literals of the third column of the guide's group table."""
    text = GUIDE.read_text()
    rows = re.findall(r"^   \* - ``group/signet\.azure\.(\w+)``\n((?:     .*\n)+)", text, flags=re.M)
    found = {}
    for group, body in rows:
        cells = re.split(r"^     - ", body, flags=re.M)
        assert len(cells) == 3, "the table row of group %s needs three cells: group, modules, options" % group
        found[group] = re.findall(r"``(\w+)``", cells[2])
    return found


def test_the_guide_lists_options_for_every_group():
    assert set(documented_group_options()) == set(GROUPS)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_documented_group_options_are_accepted_by_every_member(group):
    from tests.unit.test_action_groups import argument_spec_of

    options = documented_group_options().get(group)
    assert options, "auth-overview.rst names no option for group/signet.azure.%s" % group
    existing = set(module_names())
    problems = []
    for module in GROUPS[group]:
        if module not in existing:
            continue
        spec = argument_spec_of(module)
        problems += ["%s does not accept %s" % (module, name) for name in options if name not in spec]
    assert not problems, "group/signet.azure.%s defaults as documented would fail: %s" % (group, "; ".join(problems))
