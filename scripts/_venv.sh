# Sourced by the scripts: make (or reuse) the virtualenv and install what the project pins.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${VENV:-.venv}"
REQUIREMENTS="${1:-requirements.txt}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
stamp="$VENV/.installed-$(cat requirements.txt "$REQUIREMENTS" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  touch "$stamp"
fi
PY="$VENV/bin/python"
