#!/usr/bin/env bash
# Fuzzes every parser of outside input (tests/fuzz): builds the libFuzzer
# targets with clang-22, ASan and UBSan in their own build directory, replays
# the kept crash reproducers (tests/fuzz/regressions/<target>/), then runs
# each target for FUZZ_SECONDS on a copy of its seed corpus
# (tests/fuzz/corpus/<target>/; JSON targets use tests/fuzz/json.dict), JOBS
# targets at a time.
# Fails on any crash, sanitizer report, leak or timeout; the input that found
# it is left in $FUZZ_BUILD_DIR/artifacts.
#   FUZZ_BUILD_DIR  build directory (default build-fuzz)
#   FUZZ_SECONDS    seconds per target (default 60; 0 only replays)
#   FUZZ_TARGETS    targets to run (default: all)
#   JOBS            build jobs (default: all cores)
#   GUIDED_VARIANTS variants the goodhart-fuzz smoke run measures (default 6;
#                   0 skips it); it uses MAIN_BUILD_DIR's (build) oneDNN runner
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${JOBS:-$(nproc)}
all_targets="ModelLoaderFuzzer PlanFuzzer RequestFuzzer ResponseFuzzer IngestFuzzer OptionsFuzzer"
targets=${FUZZ_TARGETS:-$all_targets}

sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize=fuzzer-no-link -fno-omit-frame-pointer"
# -O1 and line tables only: a sanitized build that compiles a fifth faster
# than -O2 -g and still names file:line in every report (NDEBUG stays, as
# libMLIR.so was built with it).
opt="-O1 -gline-tables-only -DNDEBUG"
CC=clang-22 CXX=clang++-22 cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$opt" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt" \
  -DCMAKE_C_FLAGS="$sanitize" -DCMAKE_CXX_FLAGS="$sanitize" \
  -DGOODHART_BUILD_FUZZERS=ON -DGOODHART_BUILD_TESTS=OFF \
  -DGOODHART_WITH_ONEDNN=OFF -DGOODHART_WITH_CUDNN=OFF >/dev/null
# goodhart-fuzz (the smoke run at the end) builds with the targets, so both
# cores stay busy to the end of the build.
guided=${GUIDED_VARIANTS:-6}
runner=${MAIN_BUILD_DIR:-build}/bin/goodhart-runner-onednn
build_targets=$targets
if [ "$guided" -gt 0 ] && [ -x "$runner" ]; then
  build_targets="$build_targets goodhart-fuzz"
fi
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $build_targets

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
artifacts="$build/artifacts"
mkdir -p "$artifacts"
failed=()

# fuzz_target TARGET: replays its regressions, then fuzzes it; its summary
# goes to $artifacts/TARGET.summary and a failure to TARGET.failed.
fuzz_target() {
  local target=$1 binary="$build/bin/$1" summary="$artifacts/$1.summary"
  local regressions="tests/fuzz/regressions/$target"
  : >"$summary"
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    echo "== $target: replaying $(ls "$regressions" | wc -l) regression inputs" >>"$summary"
    if ! "$binary" -runs=1 "$regressions"/* >"$artifacts/$target.replay.log" 2>&1; then
      tail -n 40 "$artifacts/$target.replay.log" >>"$summary"
      echo "$target (regression)" >"$artifacts/$target.failed"
      return
    fi
  fi
  [ "$seconds" -gt 0 ] || return 0
  local corpus="$build/corpus/$target" log="$artifacts/$target.log" dict=()
  rm -rf "$corpus"
  mkdir -p "$corpus"
  cp tests/fuzz/corpus/"$target"/* "$corpus"/
  echo "== $target: fuzzed for ${seconds}s" >>"$summary"
  [ "$target" = ModelLoaderFuzzer ] || dict=(-dict=tests/fuzz/json.dict)
  if "$binary" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=25 \
    -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$target-" >"$log" 2>&1; then
    { grep -E '^stat::number_of_executed_units|^Done' "$log" | tr '\n' ' '; echo; } >>"$summary"
  else
    tail -n 60 "$log" >>"$summary"
    echo "$target" >"$artifacts/$target.failed"
  fi
}

# The targets run JOBS at a time (each fuzzes on one core); their summaries
# are printed in order once all are done.
rm -f "$artifacts"/*.failed "$artifacts"/*.summary
running=0
for target in $targets; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  (fuzz_target "$target" ||
    echo "$target (fuzz-parsers.sh failed)" >"$artifacts/$target.failed") &
  running=$((running + 1))
done
wait
for target in $targets; do
  cat "$artifacts/$target.summary" 2>/dev/null || true
  if [ -f "$artifacts/$target.failed" ]; then
    failed+=("$(cat "$artifacts/$target.failed")")
  fi
done

# The guided search (goodhart-fuzz) under the same sanitizers: a short run
# on smallcnn through the main build's oneDNN runner must measure
# GUIDED_VARIANTS variants and stop cleanly. Skipped (with the reason) when
# there is no runner, or with GUIDED_VARIANTS=0.
if [ "$guided" -gt 0 ] && [ -x "$runner" ]; then
  echo "== goodhart-fuzz: $guided guided variants of smallcnn"
  work="$build/guided-smoke"
  rm -rf "$work"
  mkdir -p "$work/corpus"
  log="$artifacts/goodhart-fuzz.log"
  if "$build/bin/goodhart-fuzz" "$work/corpus" -runs=500 -seed=1 \
    --model=corpus/smallcnn.mlir --runner="$runner" --db="$work/fuzz.db" \
    --artifacts="$work/findings" --max-variants="$guided" --threads=1 \
    --min-samples=3 --min-time-ms=2 --max-time-ms=50 >"$log" 2>&1 &&
    grep -q "measured $guided variants" "$log"; then
    grep -c "^goodhart-fuzz: g0" "$log" | sed 's/^/   variants measured: /'
  else
    tail -n 40 "$log"
    failed+=("goodhart-fuzz")
  fi
elif [ "$guided" -gt 0 ]; then
  echo "== goodhart-fuzz: skipped: no runner at $runner (build the main build first)"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz-parsers: FAILED: ${failed[*]} (inputs and logs in $artifacts)" >&2
  exit 1
fi
echo "fuzz-parsers: all targets clean"
