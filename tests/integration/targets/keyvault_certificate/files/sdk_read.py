#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only oracle: read a certificate with Microsoft's azure-keyvault-certificates through the twin.

Usage: sdk_read.py <vault_url> <name>; credentials from AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET.
Prints {"thumbprint", "secret_id", "version", "id", "versions"} as JSON.
"""

from __future__ import annotations

import json
import os
import sys

from azure.identity import ClientSecretCredential
from azure.keyvault.certificates import CertificateClient


def main() -> None:
    vault_url, name = sys.argv[1], sys.argv[2]
    cred = ClientSecretCredential(os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"], os.environ["AZURE_CLIENT_SECRET"])
    client = CertificateClient(vault_url, cred)
    cert = client.get_certificate(name)
    versions = [p.version for p in client.list_properties_of_certificate_versions(name)]
    print(
        json.dumps(
            {
                "thumbprint": cert.properties.x509_thumbprint.hex().upper(),
                "secret_id": cert.secret_id,
                "version": cert.properties.version,
                "id": cert.id,
                "versions": versions,
            }
        )
    )


if __name__ == "__main__":
    main()
