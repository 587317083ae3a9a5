#!/usr/bin/env bash
# Same-layer repeatability of goodhart's measurements (issue 5, bench/):
# the reference plan of a model (default: ResNet-50) measured twice, in two
# separate `goodhart run` invocations into one database, layers mode,
# memoization off; then goodhart-bench-repeatability compares the runs with
# the nightly comparison (oracle/RunComparison): the median |log ratio| of
# the per-layer medians over the distinct layers, and whether the oracle
# calls any layer slower. Goal: median |log ratio| <= 2% and none slower.
# Each run measures the reference with its two identity variants, as every
# campaign does: they are measured in fresh runner processes and give the
# run its noise floor, the band the oracle judges a layer's change with.
# IDENTITY=0 measures the reference alone (no calibration: a flat 5% band).
#
#   scripts/bench-repeatability.sh [BUILD_DIR]
#
# BUILD_DIR (default: build) holds bin/goodhart, bin/goodhart-runner-onednn
# and bin/goodhart-bench-repeatability. MODEL (default corpus/resnet50.mlir)
# and WORK (default: a new temporary directory; the database is kept there)
# may be set; RUN_OPTS adds `goodhart run` options (for example
# "--threads 2"); STATISTIC_OPTS is passed to the comparison ("--statistic
# median" judges by the medians). PAIRS=N measures N pairs, each into its own
# database, and ends with "goal met in K of N pairs". The nightly's settings
# (docs/NIGHTLY.md): RUN_OPTS="--rounds 3" STATISTIC_OPTS="--confirm 1".
# Exit status: 0 when
# the goal holds in every pair, 1 when it is missed, 2 on an error.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-${BUILD_DIR:-build}}
model=${MODEL:-corpus/resnet50.mlir}
work=${WORK:-$(mktemp -d -t goodhart-repeatability.XXXXXX)}
bin=$build/bin
for tool in goodhart goodhart-runner-onednn goodhart-bench-repeatability; do
  if [ ! -x "$bin/$tool" ]; then
    echo "bench-repeatability: $bin/$tool is missing: build it first" >&2
    exit 2
  fi
done
mkdir -p "$work"

# The reference and its identity variants (the control group) only.
identity=${IDENTITY:-2}
"$bin/goodhart" generate "$model" --count 0 --identity-variants "$identity" \
  --out "$work/plans" >/dev/null
plan=$work/plans

# One pair: two runs into a database of its own, compared.
pair() {
  local db=$1
  rm -f "$db" "$db-wal" "$db-shm"
  echo "bench-repeatability: $(uptime)"
  for pass in 1 2; do
    echo "bench-repeatability: run $pass of 2 ($plan)"
    # shellcheck disable=SC2086 # RUN_OPTS is a list of options
    "$bin/goodhart" run "$plan" --backend onednn --db "$db" --mode layers \
      --no-memo ${RUN_OPTS:-} 2>"${db%.db}.run$pass.log" >/dev/null
  done
  echo "bench-repeatability: $(uptime)"
  # shellcheck disable=SC2086 # STATISTIC_OPTS is a list of options
  "$bin/goodhart-bench-repeatability" --db "$db" ${STATISTIC_OPTS:-}
}

pairs=${PAIRS:-1}
if [ "$pairs" -le 1 ]; then
  pair "$work/repeatability.db"
  exit $?
fi
met=0
for i in $(seq 1 "$pairs"); do
  echo "bench-repeatability: pair $i of $pairs"
  if pair "$work/repeatability-$i.db"; then
    met=$((met + 1))
  fi
done
echo "bench-repeatability: goal met in $met of $pairs pairs ($work)"
[ "$met" -eq "$pairs" ]
