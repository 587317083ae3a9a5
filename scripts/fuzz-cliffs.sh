#!/usr/bin/env bash
# Builds goodhart-fuzz, the feedback-guided search for cliffs (issue 8), and
# runs it on a model. goodhart-fuzz needs clang's libFuzzer; this build
# instruments only its driver (generator/fuzz/GuidedFuzzer.cpp), so what
# guides the search is the performance feedback, not code coverage. It
# measures through the oneDNN runner of the main build (BUILD_DIR, default
# build; build it first: scripts/bootstrap.sh main or test).
#
#   scripts/fuzz-cliffs.sh MODEL OUT_DIR [goodhart-fuzz options...]
#
# OUT_DIR receives fuzz.db (the results database: `goodhart report --db
# OUT_DIR/fuzz.db`), corpus/ (the genomes libFuzzer kept) and findings/
# (reproducers of cliffs, mismatches and crashes). Options are passed to
# goodhart-fuzz: libFuzzer's with one dash (-max_total_time=600, -seed=3),
# goodhart's with two (--max-variants=40, --min-samples=10); see
# `build-guided/bin/goodhart-fuzz -help=1` and `... --help`.
#   GUIDED_BUILD_DIR  clang build directory (default build-guided)
#   JOBS              build jobs (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: scripts/fuzz-cliffs.sh MODEL OUT_DIR [goodhart-fuzz options]" >&2
  exit 2
fi
model=$1
out=$2
shift 2
main_build=${BUILD_DIR:-build}
build=${GUIDED_BUILD_DIR:-build-guided}
jobs=${JOBS:-$(nproc)}
runner=$main_build/bin/goodhart-runner-onednn
if [ ! -x "$runner" ]; then
  echo "fuzz-cliffs: $runner is missing: build the main build first" >&2
  exit 2
fi
# oneDNN's CMake package wants OpenMP, which clang lacks here: the runner
# comes from the main (gcc) build, the search from this one.
CC=clang-22 CXX=clang++-22 cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGOODHART_BUILD_TESTS=OFF \
  -DGOODHART_WITH_ONEDNN=OFF -DGOODHART_WITH_CUDNN=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target goodhart-fuzz
mkdir -p "$out/corpus"
exec "$build/bin/goodhart-fuzz" "$out/corpus" -runs=100000000 \
  --model="$model" --runner="$runner" --db="$out/fuzz.db" \
  --artifacts="$out/findings" "$@"
