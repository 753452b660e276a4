#!/usr/bin/env bash
# Regenerate the hash-pinned locks that scripts/bootstrap.sh installs:
#   requirements/main.lock  litbase's dependencies (scripts/start.sh)
#   requirements/test.lock  the same plus the [test] and [mirror] extras (scripts/test.sh, CI:
#                           the suite runs the mirror's Dask tests)
# Run it after changing dependencies in pyproject.toml, then run
# `bash scripts/test.sh`: the suite must pass on exactly what is locked.
#   bash scripts/lock.sh                       keep every pin that still fits
#   bash scripts/lock.sh --upgrade             newest versions of everything
#   bash scripts/lock.sh --upgrade-package X   newest X only
# Both are resolved for CPython 3.11 on x86-64 Linux, what the README promises,
# with the hashes of every file PyPI has for each pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v uv >/dev/null; then
  uv=uv
else
  # uv itself from PyPI, into .cache (git-ignored) rather than .venv: the tool
  # that writes the lock is not part of what is locked.
  if [ ! -x .cache/uv/bin/uv ]; then
    python3 -m venv .cache/uv
    .cache/uv/bin/python -m pip install -q "uv==0.13.9"
  fi
  uv=.cache/uv/bin/uv
fi

# bootstrap.sh installs litbase itself without build isolation, so the build
# backend ([build-system] requires) is locked too, read from pyproject.toml.
build_requires=$(python3 -c 'import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["build-system"]["requires"]))')

compile() {
  printf '%s\n' "$build_requires" | "$uv" pip compile --quiet pyproject.toml - \
    --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
    --custom-compile-command "bash scripts/lock.sh" "$@"
}

mkdir -p requirements
compile --extra test --extra mirror -o requirements/test.lock "${@}"
# The main lock takes its versions from the test lock, so start.sh runs on
# exactly the versions the suite was run with.
compile --constraint requirements/test.lock -o requirements/main.lock "${@}"
echo "litbase: wrote requirements/test.lock and requirements/main.lock" >&2
