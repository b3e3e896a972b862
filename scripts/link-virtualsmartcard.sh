#!/usr/bin/env bash
# Debian installs virtualsmartcard where no Python searches (docs/environment.md#pcsc-and-the-virtual-card): point
# the venv at it with a .pth file.
set -euo pipefail
venv=${1:?usage: link-virtualsmartcard.sh VENV}
init=$(dpkg -L python3-virtualsmartcard 2>/dev/null | grep -m1 '/virtualsmartcard/__init__.py$' || true)
[ -n "$init" ] || { echo "python3-virtualsmartcard is not installed (make setup installs it)" >&2; exit 1; }
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
dirname "$(dirname "$init")" > "$site/debian-virtualsmartcard.pth"
