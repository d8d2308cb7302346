# SPDX-License-Identifier: GPL-3.0-or-later
"""module_defaults safety: every module of an action group accepts (and documents) all options of the group's
family, and each module's ``action_group`` attribute names exactly the groups of meta/runtime.yml that list it.

The module list is read at run time: modules listed in meta/runtime.yml whose file does not exist yet are skipped
(they are being written); a module file that no group lists fails.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MODULES_DIR = REPO / "plugins" / "modules"
RUNTIME = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
GROUPS: dict[str, list[str]] = RUNTIME["action_groups"]
EXISTING = sorted(p.stem for p in MODULES_DIR.glob("*.py") if not p.name.startswith("_"))
PAIRS = [(group, module) for group, members in sorted(GROUPS.items()) for module in members]
COMPARED_KEYS = ("type", "elements", "default", "choices", "no_log", "aliases")


class _Captured(Exception):
    pass


def family(group: str) -> dict:
    from ansible_collections.signet.azure.plugins.module_utils import _argspec

    return _argspec.FAMILIES[group]().argument_spec


def argument_spec_of(module: str) -> dict:
    """The real argument spec of a module: run its main() with AzureRestModule replaced by a recorder."""
    mod = importlib.import_module("ansible_collections.signet.azure.plugins.modules.%s" % module)
    captured = {}

    class Recorder:
        def __init__(self, spec, *args, **kwargs):
            captured["spec"] = spec.argument_spec if hasattr(spec, "argument_spec") else spec
            raise _Captured()

    original = getattr(mod, "AzureRestModule", None)
    if original is None:
        pytest.fail("%s does not use AzureRestModule (CONTRIBUTING.md module shape)" % module)
    mod.AzureRestModule = Recorder
    try:
        mod.main()
    except _Captured:
        pass
    finally:
        mod.AzureRestModule = original
    assert "spec" in captured, "%s.main() did not build an AzureRestModule" % module
    return captured["spec"]


@pytest.fixture(scope="module")
def docs() -> dict:
    """ansible-doc --json of every existing module (fragments merged the way Ansible merges them)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "collections"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "module", "--json", *["signet.azure.%s" % m for m in EXISTING]],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        data = json.loads(proc.stdout or "{}")
    except ValueError:
        data = {}
    return {"data": data, "stderr": proc.stderr}


def doc_of(docs: dict, module: str) -> dict:
    entry = docs["data"].get("signet.azure.%s" % module)
    if not entry:
        errors = [line for line in docs["stderr"].splitlines() if module in line]
        pytest.fail("ansible-doc cannot load signet.azure.%s: %s" % (module, "\n".join(errors) or docs["stderr"][-2000:]))
    return entry["doc"]


def test_every_group_has_a_family():
    from ansible_collections.signet.azure.plugins.module_utils import _argspec

    assert set(GROUPS) == set(_argspec.FAMILIES)


def test_every_module_is_in_a_group():
    grouped = {m for members in GROUPS.values() for m in members}
    assert not sorted(set(EXISTING) - grouped), "modules missing from meta/runtime.yml action_groups"


@pytest.mark.parametrize(("group", "module"), PAIRS, ids=["%s-%s" % p for p in PAIRS])
def test_group_member_accepts_family_options(group, module, docs):
    if module not in EXISTING:
        pytest.skip("plugins/modules/%s.py is not written yet" % module)
    spec = argument_spec_of(module)
    documented = doc_of(docs, module).get("options", {})
    for name, option in family(group).items():
        assert name in spec, "%s is in group %s but does not accept option %s" % (module, group, name)
        for key in COMPARED_KEYS:
            assert spec[name].get(key) == option.get(key), "%s option %s: %s differs from the %s family" % (
                module,
                name,
                key,
                group,
            )
        assert spec[name].get("fallback") == option.get("fallback"), "%s option %s: env fallback differs" % (module, name)
        assert name in documented, "%s accepts %s but does not document it (use the family doc fragment)" % (module, name)
        assert documented[name].get("type", "str") == option.get("type", "str"), (module, name)
        if "default" in option:
            assert documented[name].get("default") == option["default"], (module, name)


@pytest.mark.parametrize("module", EXISTING)
def test_action_group_attribute_matches_runtime(module, docs):
    doc = doc_of(docs, module)
    attribute = doc.get("attributes", {}).get("action_group")
    assert attribute, "%s has no action_group attribute (extend signet.azure.attributes.action_group_*)" % module
    claimed = sorted(attribute.get("membership", []))
    actual = sorted("signet.azure.%s" % group for group, members in GROUPS.items() if module in members)
    assert claimed == actual, "%s: doc fragment says %s, meta/runtime.yml says %s" % (module, claimed, actual)
