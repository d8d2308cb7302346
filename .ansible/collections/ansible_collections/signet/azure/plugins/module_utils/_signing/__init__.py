# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Pure signing functions (no I/O): Storage Shared Key/SharedKeyLite, SAS, Batch Shared Key."""
