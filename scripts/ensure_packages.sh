#!/usr/bin/env bash
# Installs the Debian packages the test suite and `make cluster` need, when missing:
# nginx (the production profile's load balancer) and Chromium (the browser tests; a
# browser download by Playwright cannot work on machines that reach only package
# registries). Usage: ensure_packages.sh nginx chromium  (names of what is needed).
set -euo pipefail

declare -A PACKAGE_OF=([nginx]="nginx-light" [chromium]="chromium fonts-dejavu-core")
declare -A BINARY_OF=([nginx]="/usr/sbin/nginx" [chromium]="/usr/bin/chromium")

missing=()
for tool in "$@"; do
  [ -n "${PACKAGE_OF[$tool]:-}" ] || { echo "ERROR: unknown tool '$tool'" >&2; exit 2; }
  [ -x "${BINARY_OF[$tool]}" ] || missing+=(${PACKAGE_OF[$tool]})
done
[ ${#missing[@]} -eq 0 ] && exit 0

# apt needs root: as another user, sudo when it needs no password (sudo -n), else a hint.
AS_ROOT=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    AS_ROOT=(sudo -n)
  else
    echo "ERROR: missing Debian packages: ${missing[*]}" >&2
    echo "       Installing them needs root: sudo apt-get install -y ${missing[*]}, then run make again." >&2
    exit 1
  fi
fi
echo "==> Installing ${missing[*]} from Debian's packages (first time: about a minute)"
"${AS_ROOT[@]}" apt-get update -qq >/dev/null
"${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts nginx as a system service on port 80; the project runs its own.
if [[ " ${missing[*]} " == *" nginx-light "* ]]; then
  ("${AS_ROOT[@]}" service nginx stop || "${AS_ROOT[@]}" /usr/sbin/nginx -s quit || true) >/dev/null 2>&1
fi
echo "==> Installed ${missing[*]}"
