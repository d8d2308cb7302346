# SPDX-License-Identifier: GPL-3.0-or-later
"""Every option of every module that can carry a secret is no_log (so invocation.module_args masks it at -vvvv).

The runtime secret scan (tests/reliability/test_secret_scan.py) proves the masking on real runs; this test makes sure
a new option whose name says it is a secret cannot be added without no_log. Secrets that ride inside options which are
not secrets by name (a SAS ``sig=`` in ``url`` or in a header) are registered by AzureRestModule at start-up and are
covered by the runtime scan.
"""

from __future__ import annotations

import re

import pytest

from tests.unit.test_action_groups import EXISTING, argument_spec_of

SECRET_NAME = re.compile(r"(^|_)(key|secret|password|token|sas|connection_string|value)$|certificate_content$|^body_base64$")
NOT_SECRET = {"digest_key_path", "return_value"}  # return_value is a bool switch


def _options(spec: dict, prefix: str = ""):
    for name, option in spec.items():
        yield prefix + name, option
        if option.get("options"):
            yield from _options(option["options"], prefix + name + ".")


@pytest.mark.parametrize("module", EXISTING)
def test_secret_options_are_no_log(module):
    spec = argument_spec_of(module)
    secrets = [(n, o) for n, o in _options(spec) if SECRET_NAME.search(n.split(".")[-1]) and n.split(".")[-1] not in NOT_SECRET]
    not_masked = [n for n, o in secrets if not o.get("no_log")]
    assert not_masked == [], "%s: secret options without no_log=True: %s" % (module, not_masked)


def test_the_pattern_catches_the_secret_names_and_spares_paths():
    for name in (
        "account_key",
        "client_secret",
        "certificate_password",
        "access_token",
        "sas_token",
        "connection_string",
        "client_certificate_content",
        "management_certificate_content",
        "batch_access_key",
        "value",
        "body_base64",
    ):
        assert SECRET_NAME.search(name), name
    for name in ("management_key_path", "client_certificate_path", "federated_token_file", "content_type", "vault_url"):
        assert not SECRET_NAME.search(name), name
