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
  echo "== installing meshapi[${extras}] into .venv (log: .venv/pip.log)"
  # pip's output goes to a log, shown only when the install fails.
  if ! { .venv/bin/python -m pip install -q --upgrade pip \
         && .venv/bin/python -m pip install -q -e ".[${extras}]"; } > .venv/pip.log 2>&1; then
    tail -n 40 .venv/pip.log >&2
    echo "pip install failed; the whole log is in .venv/pip.log" >&2
    exit 1
  fi
  rm -f .venv/.meshapi-installed-*
  touch "$stamp"
fi
export PATH="$root/.venv/bin:$PATH"
