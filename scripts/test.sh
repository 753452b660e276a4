#!/usr/bin/env bash
# The whole test suite, with everything it needs: the package and its test
# tools in .venv at the versions of requirements/test.lock (hash-checked),
# Debian's chromium (browser tests) and pandoc (bibliography checks) when they
# are missing. Arguments go to pytest. (tests/test_docs.py checks the README's
# generated parts.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh test
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v pandoc >/dev/null || missing+=(pandoc)
if [ ${#missing[@]} -gt 0 ]; then
  echo "litbase: installing Debian's ${missing[*]}" >&2
  apt_install "${missing[@]}"
fi
# The layer contracts in pyproject.toml ([tool.importlinter]) first: a change that
# breaks a layer fails here before any test runs.
.venv/bin/lint-imports --no-cache >/dev/null || .venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest -q "$@"
