#!/usr/bin/env bash
# The README's first command: install what is needed, build, start a local
# 3-node cluster on 127.0.0.1-3 and show its status. Stop it with
#   build/bin/quorate cluster down --dir /tmp/quorate-demo
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
dir=${QUORATE_DEMO_DIR:-/tmp/quorate-demo}
build/bin/quorate cluster down --dir "$dir" >/dev/null 2>&1 || true
build/bin/quorate cluster up --nodes "${QUORATE_DEMO_NODES:-3}" --dir "$dir"
echo
echo "corosync-quorumtool -l on node 2:"
QUORATE_SOCKET="$dir/node2/run/quorated.sock" build/bin/corosync-quorumtool -l
echo
echo "Stop it with: build/bin/quorate cluster down --dir $dir"
