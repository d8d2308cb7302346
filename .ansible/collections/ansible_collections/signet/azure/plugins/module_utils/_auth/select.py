# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Maps the ``auth`` option of signet.azure.request to an auth scheme and a base URL.

Each entry names ``module:function``; the function takes the AzureRestModule and the chosen service and returns
``(auth_scheme, base_url, transport_overrides)``. Loading is lazy, so a storage call never imports msal.
"""

from __future__ import annotations

import importlib

from .._errors import ConfigError

SCHEMES = {
    "shared_key": ("storage_key", "from_module"),
    "shared_key_lite": ("storage_key", "from_module"),
    "sas": ("storage_key", "from_module"),
    "none": ("storage_key", "from_module"),
    "batch_shared_key": ("batch_key", "from_module"),
    "entra": ("entra", "from_module"),
    "client_certificate": ("client_cert", "from_module"),
}


# AnsiballZ bundles only module_utils it finds in import statements, and auth_for() loads the scheme modules with
# importlib; these never-executed imports make the bundler ship them (optional: a missing file is skipped).
if False:  # pragma: no cover
    try:
        from . import batch_key, client_cert, entra, storage_key  # noqa: F401
    except ImportError:
        pass


def auth_for(module, auth: str, service: str):
    """Resolve ``auth`` for ``service``; ConfigError for an unknown or unavailable scheme."""
    try:
        mod_name, func_name = SCHEMES[auth]
    except KeyError:
        raise ConfigError("auth: %r is not supported; use one of %s" % (auth, ", ".join(sorted(SCHEMES)))) from None
    mod = importlib.import_module("%s.%s" % (__package__, mod_name))
    return getattr(mod, func_name)(module, auth, service)
