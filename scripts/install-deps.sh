#!/usr/bin/env bash
# Installs every Debian 12 package Quorate needs to build, test and run.
# Idempotent; run as root. Used by both README commands and by .ci/run.
set -euo pipefail
pkgs=(
  build-essential cmake ninja-build pkg-config ccache git
  libboost-dev                      # Boost.Asio: sockets, timers, signals in quorated
  libprotobuf-dev protobuf-compiler # IPC frames and totem packet bodies
  libssl-dev                        # packet authentication and encryption (HMAC, AES)
  libfmt-dev libspdlog-dev          # formatting and logging
  nlohmann-json3-dev                # --json output of every status command
  libcli11-dev                      # command-line parsing in quorate and quorated
  libpugixml-dev                    # CIB XML import/export
  libsystemd-dev                    # sd_notify(READY=1) for the Type=notify unit
  libgtest-dev libgmock-dev         # unit, simulator and integration tests
  libbenchmark-dev                  # bench/ programs
  clang                             # libFuzzer targets
  iproute2                          # network-namespace partition tests (ip netns, tc netem)
  procps psmisc                     # ps/pkill used by tests and the local cluster
  libfuse3-dev fuse3                # FUSE single-file export of replicated volumes
  libnbd-bin qemu-utils fio         # real NBD clients the export is tested and benchmarked with
  e2fsprogs util-linux mount        # mkfs.ext4, e2fsck, debugfs; losetup and mount (package mount) in the FUSE export tests
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
