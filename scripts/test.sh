#!/usr/bin/env bash
# The README's second command and CI's: install, build with warnings as
# errors, run every libFuzzer target for a bounded time, then the whole test
# suite through ctest (unit, simulator seeds, integration, network
# namespaces when root). ctest's summary is the last thing printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh -DQUORATE_WERROR=ON

# Fuzzers: a separate clang build with libFuzzer + ASan + UBSan.
fuzz_seconds=${QUORATE_FUZZ_SECONDS:-20}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DQUORATE_FUZZ=ON -DQUORATE_TESTS=ON \
  -DQUORATE_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build-fuzz -j"$(nproc)" fuzzers
# Every target tests/fuzz/CMakeLists.txt lists (FUZZERS) lands as build-fuzz/bin/fuzz_*.
for bin in build-fuzz/bin/fuzz_*; do
  f=$(basename "$bin")
  mkdir -p build-fuzz/corpus/$f
  echo "fuzzing $f for ${fuzz_seconds}s"
  build-fuzz/bin/$f -max_total_time="$fuzz_seconds" -max_len=4096 -print_final_stats=0 \
    build-fuzz/corpus/$f 2>build-fuzz/$f.log || { tail -50 build-fuzz/$f.log; exit 1; }
done

cd build
ctest --output-on-failure -j2 --timeout 900
