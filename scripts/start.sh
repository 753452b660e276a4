#!/usr/bin/env bash
# The main job: build the peer-support knowledge base offline and serve it
# with Datasette on http://127.0.0.1:8001 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh ""
.venv/bin/litbase build litbase.db datasets/peer-support
exec .venv/bin/litbase serve litbase.db "$@"
