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

if [ "$(id -u)" -ne 0 ]; then
  echo "ERROR: missing Debian packages: ${missing[*]}" >&2
  echo "       Install them (sudo apt-get install -y ${missing[*]}) and run make again." >&2
  exit 1
fi
echo "==> Installing ${missing[*]} from Debian's packages (first time: about a minute)"
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts nginx as a system service on port 80; the project runs its own.
if [[ " ${missing[*]} " == *" nginx-light "* ]]; then
  (service nginx stop || /usr/sbin/nginx -s quit || true) >/dev/null 2>&1
fi
echo "==> Installed ${missing[*]}"
