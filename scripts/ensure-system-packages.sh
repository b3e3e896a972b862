#!/usr/bin/env bash
# Install the Debian packages the harness needs, only those missing; a no-op (well under a second) once done.
set -euo pipefail

packages=(
  chromium          # the browser Playwright drives (`playwright install` cannot download here)
  fonts-noto-cjk    # Chinese glyphs in screenshots
  pcscd pcsc-tools  # the PC/SC daemon and pcsc_scan
  vsmartcard-vpcd python3-virtualsmartcard  # the virtual reader driver and the card-side library
  opensc            # opensc-tool: a second, independent PC/SC client to check the card with
  opensc-pkcs11 yubico-piv-tool  # OpenSC's PKCS#11 module and Yubico's PIV tool: middleware that reads the card's PIV application
  libpcsclite-dev swig build-essential      # what pyscard needs to build from source
  python3-venv      # `python3 -m venv` on a stock Debian Python
  libnss3-tools     # certutil: a staging portal's private CA in Chromium's NSS database (harness/staging.py)
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
