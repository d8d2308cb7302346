# SPDX-License-Identifier: GPL-3.0-or-later
"""Blob names that break naive signing (research facts §1.6): shared by the oracle and the Azurite signing tests."""

from __future__ import annotations

TRICKY_NAMES = [
    "plain.txt",
    "with space.txt",
    "dir one/sub dir/file.txt",
    "ünïcødé/日本語.txt",
    "plus+sign.txt",
    "percent%25literal%.txt",
    "tilde~name.txt",
    "paren(open.txt",
    "comma,name.txt",
    "equals=name.txt",
    "bang!name.txt",
    "quote'name.txt",
    "star*name.txt",
    "semi;colon.txt",
    "at@sign.txt",
    "dollar$sign.txt",
    "amp&ersand.txt",
    "all +%~(,=!'*;@$& mixed/é.txt",
]
