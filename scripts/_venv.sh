# Sourced by scripts/test, scripts/demo and scripts/bench: makes sure .venv exists and holds
# the project installed in editable mode with the extras asked for ($MESHAPI_EXTRAS).
# Reinstalls only when pyproject.toml changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
extras="${MESHAPI_EXTRAS:-dev}"
stamp=".venv/.meshapi-installed-$(sha256sum pyproject.toml | cut -c1-16)-${extras//,/_}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[${extras}]"
  rm -f .venv/.meshapi-installed-*
  touch "$stamp"
fi
export PATH="$root/.venv/bin:$PATH"
