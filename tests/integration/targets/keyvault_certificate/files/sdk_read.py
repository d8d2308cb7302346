# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only oracle: read a certificate with Microsoft's azure-keyvault-certificates through the twin.

Usage: sdk_read.py <twin.json> <vault_url> <name>; the client secret app of twin.json is the credential (read from
the file, so that no secret appears on a command line or in the -vvvv log).
Prints {"thumbprint", "secret_id", "version", "id", "versions"} as JSON.
"""

from __future__ import annotations

import json
import sys

from azure.identity import ClientSecretCredential
from azure.keyvault.certificates import CertificateClient


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        info = json.load(fh)
    vault_url, name = sys.argv[2], sys.argv[3]
    app = info["entra"]["secret_app"]
    cred = ClientSecretCredential(info["tenant_id"], app["client_id"], app["client_secret"])
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
