#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Print the real path of a working Python <major.minor> interpreter, e.g. `tools/find_python.sh 3.12`; exit 1 if none.
# Looked for, in order: python<v> on PATH (a pyenv shim of a version that is not selected fails the check and is
# skipped), every pyenv install under `pyenv root` (newest patch first), then the usual system places. The printed
# path is sys.executable, so a shim that works resolves to the interpreter behind it.
set -u
want=${1:?usage: find_python.sh MAJOR.MINOR}
candidates=("$(command -v "python$want" 2>/dev/null)")
roots=()
command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root 2>/dev/null)")
roots+=("${PYENV_ROOT:-}" "$HOME/.pyenv")
for root in "${roots[@]}"; do
  [ -n "$root" ] && [ -d "$root/versions" ] || continue
  while IFS= read -r dir; do candidates+=("$dir/bin/python$want"); done < <(ls -d "$root/versions/$want".* 2>/dev/null | sort -rV)
done
candidates+=("/usr/local/bin/python$want" "/usr/bin/python$want")
for exe in "${candidates[@]}"; do
  [ -n "$exe" ] && [ -x "$exe" ] || continue
  "$exe" -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] != '$want')" 2>/dev/null || continue
  "$exe" -c 'import sys; print(sys.executable)'
  exit 0
done
echo "find_python.sh: no working python$want (PATH, pyenv, /usr/local/bin, /usr/bin)" >&2
exit 1
