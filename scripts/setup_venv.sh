#!/usr/bin/env bash
# Create the project's virtualenv with the Python named in .python-version and
# install the exactly pinned requirements. Rasa 3.6.21 needs Python 3.8 to 3.10.
set -euo pipefail
venv="${1:-.venv}"
want="$(cat .python-version)"          # e.g. 3.10.13
minor="${want%.*}"                      # e.g. 3.10

find_python() {
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv root)/versions/$want/bin/python")
    local prefix
    prefix="$(pyenv prefix "$minor" 2>/dev/null || true)"
    [ -n "$prefix" ] && candidates+=("$prefix/bin/python")
  fi
  candidates+=("$HOME/.pyenv/versions/$want/bin/python" "$(command -v "python$minor" || true)")
  for c in "${candidates[@]}"; do
    if [ -n "$c" ] && [ -x "$c" ] && "$c" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$minor'.split('.'))))"; then
      echo "$c"; return 0
    fi
  done
  return 1
}

if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$minor'.split('.'))))"; then
  echo "==> $venv was made with another Python; recreating it"
  rm -rf "$venv"
fi

if [ ! -x "$venv/bin/python" ]; then
  python="$(find_python)" || {
    echo "ERROR: Python $minor is required (Rasa 3.6 supports 3.8 to 3.10)." >&2
    echo "       Install it (for example: pyenv install $want) and run make again." >&2
    exit 1
  }
  echo "==> Creating $venv with $python"
  "$python" -m venv "$venv"
fi

echo "==> Installing pinned requirements into $venv (first time: about 2 minutes)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.0" 2>&1 | { grep -v "^WARNING: Location" || true; }
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>&1 | { grep -v "^WARNING: Location" || true; }
"$venv/bin/python" -m pip check
