#!/usr/bin/env bash
# The main job: build the peer-support knowledge base offline and serve it
# with Datasette on http://127.0.0.1:8001 (Ctrl-C stops it). Also puts the
# `litbase` command on the PATH, so the README's examples run as written.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh ""

# .venv/bin is on nobody's PATH: link the command into a directory that is.
# Root: /usr/local/bin. Anyone else: ~/.local/bin, which Debian's ~/.profile
# puts on the PATH when it exists. LITBASE_BIN_DIR names another directory.
command_path="$PWD/.venv/bin/litbase"
if [ -n "${LITBASE_BIN_DIR:-}" ]; then
  bin_dir=$LITBASE_BIN_DIR
elif [ "$(id -u)" = 0 ]; then
  bin_dir=/usr/local/bin
else
  bin_dir=$HOME/.local/bin
fi
link="$bin_dir/litbase"
if [ -e "$link" ] && [ ! -L "$link" ]; then
  # Someone else's litbase (a pip install, a script): not ours to replace.
  echo "litbase: $link exists and is not a link, so it was left alone; run $command_path" >&2
else
  if [ "$(readlink "$link" 2>/dev/null)" != "$command_path" ]; then
    mkdir -p "$bin_dir"
    ln -sfn "$command_path" "$link"
  fi
  echo "litbase: the litbase command is $link (a link to $command_path)" >&2
  case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) hint=""
       [ "$bin_dir" = "$HOME/.local/bin" ] && hint=" (from your next login on, Debian's ~/.profile does it)"
       echo "litbase: $bin_dir is not on this shell's PATH; run: export PATH=\"$bin_dir:\$PATH\"$hint" >&2 ;;
  esac
fi

.venv/bin/litbase build litbase.db datasets/peer-support
exec .venv/bin/litbase serve litbase.db "$@"
