# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Optional Python libraries: a missing one is a clean, actionable failure (``missing_required_lib`` style), never a
ModuleNotFoundError traceback. msal is imported only by the Entra ID code, so storage and Batch Shared Key modules
run without it."""

from __future__ import annotations

import importlib
import platform
import sys

from ._errors import ConfigError


class MissingLibraryError(ConfigError):
    """A Python library the chosen feature needs is not installed on the managed node."""


def missing_library_message(library: str, pip_name: str, reason: str) -> str:
    return (
        "Failed to import the required Python library (%s) on %s's Python %s. This is required %s. Install it into "
        "that Python with `pip install %s`, or install the collection's requirements: `pip install -r "
        "requirements.txt` from the collection's root (an execution environment built from meta/execution-environment.yml "
        "has it). If it is installed, Ansible may be using another interpreter: see ansible_python_interpreter."
        % (library, platform.node(), sys.executable, reason, pip_name)
    )


def require(module_name: str, pip_name: str | None = None, reason: str = "by this module"):
    """Import and return ``module_name``; MissingLibraryError with the install hint when it is not installed."""
    try:
        return importlib.import_module(module_name)
    except ImportError:
        library = module_name.split(".")[0]
        raise MissingLibraryError(missing_library_message(library, pip_name or library, reason)) from None
