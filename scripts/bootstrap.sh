# Sourced by start.sh and test.sh: make .venv and install litbase into it.
# Works on a fresh Debian machine that has only Python 3.11: when Debian's
# python3 lacks the venv module (package python3-venv), it is installed first.
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "litbase: '$*' needs root; run it as root or install sudo" >&2; return 1; fi
}

apt_install() {
  # apt-get update only once per run, and only when something is missing.
  if [ -z "${LITBASE_APT_UPDATED:-}" ]; then
    as_root apt-get update -q >/dev/null
    LITBASE_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    echo "litbase: installing Debian's python3-venv" >&2
    apt_install python3-venv
    "$PYTHON" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --upgrade pip
fi

# The extra (empty for the main job, "test" for the suite) is the first argument.
extra=${1:-}
stamp=".venv/.installed-${extra:-main}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "litbase: installing the package${extra:+ with [$extra]} into .venv" >&2
  .venv/bin/python -m pip install -q -e ".${extra:+[$extra]}"
  touch "$stamp"
fi
