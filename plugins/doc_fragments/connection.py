# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  timeout:
    description:
      - Read timeout of each HTTP request, in seconds. The connect timeout is 10 seconds.
    type: int
    default: 60
  retries:
    description:
      - How many times a request is retried after a throttling or transient answer (408, 429, 500, 502, 503, 504)
        or a connection error. C(Retry-After), C(retry-after-ms) and C(x-ms-retry-after-ms) are honoured;
        otherwise the delay grows exponentially with jitter. Every attempt is signed again with a fresh date.
      - POST and PATCH are retried only on 500, 503 and 504, as azure-core does.
    type: int
    default: 3
  validate_certs:
    description:
      - Verify the TLS certificate of the server. Turn off only for a local emulator; a warning is printed.
    type: bool
    default: true
  ca_bundle:
    description:
      - Path of a PEM CA bundle used to verify servers, for example a TLS-intercepting corporate proxy or a
        local test server.
      - The environment variables E(SIGNET_AZURE_CA_BUNDLE), E(REQUESTS_CA_BUNDLE) and E(HTTPS_PROXY) are honoured.
    type: path
"""

    # Overlay for lookups (the community.hashi_vault way): where ca_bundle is read from when the task does not give it.
    PLUGINS = r"""
options:
  ca_bundle:
    env:
      - name: SIGNET_AZURE_CA_BUNDLE
"""
