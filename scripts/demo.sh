#!/usr/bin/env bash
# The README's first command: install what is needed, build, start a local
# 3-node cluster on 127.0.0.1-3 with a replicated volume between nodes 1 and
# 2, and show their status. Stop it with
#   build/bin/quorate cluster down --dir /tmp/quorate-demo
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${QUORATE_DEMO_NO_BUILD:-}" ]; then
  bash scripts/install-deps.sh
  bash scripts/build.sh
fi
dir=${QUORATE_DEMO_DIR:-/tmp/quorate-demo}
build/bin/quorate cluster down --dir "$dir" >/dev/null 2>&1 || true
build/bin/quorate cluster up --nodes "${QUORATE_DEMO_NODES:-3}" --dir "$dir"
echo
echo "corosync-quorumtool -l on node 2:"
QUORATE_SOCKET="$dir/node2/run/quorated.sock" build/bin/corosync-quorumtool -l

# A replicated volume between node1 and node2 (the DRBD role) on plain files,
# set up with the same drbdadm commands as the seed guides.
mkdir -p "$dir/replication.d"
for n in 1 2; do
  rm -f "$dir/node$n/r0.img"
  truncate -s 256M "$dir/node$n/r0.img"
done
{
  echo "resource r0 {"
  echo "  protocol C;"
  echo "  device /dev/drbd0;"
  echo "  meta-disk internal;"
  echo "  net { connect-int 1; verify-alg sha256; }"
  echo "  disk { c-max-rate 4G; c-fill-target 16M; }"
  echo "  on node1 { disk $dir/node1/r0.img; address 127.0.0.1:7789; }"
  echo "  on node2 { disk $dir/node2/r0.img; address 127.0.0.2:7789; }"
  echo "}"
} >"$dir/replication.d/r0.res"
adm() {
  local n=$1
  shift
  build/bin/drbdadm --socket "$dir/node$n/run/quorated.sock" "$@"
}
echo
for n in 1 2; do
  echo "node$n# drbdadm create-md r0 && drbdadm up r0"
  adm "$n" create-md r0
  adm "$n" up r0
done
echo "node1# drbdadm primary --force r0"
adm 1 primary --force r0
for _ in $(seq 1 300); do
  [ "$(adm 2 dstate r0 2>/dev/null)" = "UpToDate/UpToDate" ] && break
  sleep 0.1
done
echo
echo "quorate replica status --proc on node 1 (DRBD 8.4's /proc/drbd layout):"
build/bin/quorate replica status --proc --socket "$dir/node1/run/quorated.sock"
echo "NBD export of r0 on node 1: nbd+unix:///r0?socket=$dir/node1/run/nbd/r0.sock"
echo
echo "Stop it with: build/bin/quorate cluster down --dir $dir"
