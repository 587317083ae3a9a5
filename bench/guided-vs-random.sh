#!/usr/bin/env bash
# Guided search against the random strategy at the same number of measured
# variants (issue 8). For each seed, goodhart-fuzz measures VARIANTS
# variants of MODEL (scripts/fuzz-cliffs.sh, --max-variants) and `goodhart
# campaign --strategy random --count VARIANTS` measures as many, both on
# oneDNN in per-layer mode with the same measurement options, each into its
# own database. `goodhart report` judges both with the same oracle; a cliff
# is a changed layer whose whole interval of relative throughput per FLOP
# lies below 0.67. Distinct cliffs are counted by (layer kind, reference
# implementation -> variant implementation), so ten channel counts that fall
# into the same slow kernel count once.
#
#   bench/guided-vs-random.sh
#
# MODEL (default corpus/resnet50.mlir), VARIANTS (default 40), SEEDS
# (default "1 2"), MEASURE_OPTS (default "--min-samples=10 --min-time-ms=50
# --max-time-ms=500"), WORK (default: a new temporary directory, kept) and
# BUILD_DIR (main build, default build) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${MODEL:-corpus/resnet50.mlir}
variants=${VARIANTS:-40}
seeds=${SEEDS:-"1 2"}
read -r -a measure <<<"${MEASURE_OPTS:---min-samples=10 --min-time-ms=50 --max-time-ms=500}"
work=${WORK:-$(mktemp -d -t goodhart-guided-vs-random.XXXXXX)}
build=${BUILD_DIR:-build}
mkdir -p "$work"
echo "guided-vs-random: $model, $variants variants per side, seeds $seeds; work in $work"

for seed in $seeds; do
  start=$(date +%s)
  scripts/fuzz-cliffs.sh "$model" "$work/guided-$seed" -seed="$seed" \
    --max-variants="$variants" --seed="$seed" "${measure[@]}" \
    >"$work/guided-$seed.log" 2>&1
  guided_s=$(($(date +%s) - start))
  start=$(date +%s)
  "$build/bin/goodhart" campaign "$model" --strategy random \
    --count "$variants" --seed "$seed" --mode layers \
    --db "$work/random-$seed.db" --out "$work/random-$seed" \
    "${measure[@]}" >"$work/random-$seed.log" 2>&1
  random_s=$(($(date +%s) - start))
  "$build/bin/goodhart" report --db "$work/guided-$seed/fuzz.db" \
    --out "$work/guided-$seed/report" --format json >/dev/null
  echo "seed $seed: guided ${guided_s}s, random ${random_s}s"
done

python3 - "$work" $seeds <<'PY'
import json, sys
work, seeds = sys.argv[1], sys.argv[2:]

def cliffs(path):
    report = json.load(open(path))
    distinct, layers, measured = set(), 0, 0
    for variant in report["variants"]:
        mutations = variant.get("mutations", [])
        if all(m.startswith("identity(") for m in mutations):
            continue
        measured += 1
        for layer in variant["layers"]:
            if layer.get("cliff"):
                layers += 1
                distinct.add((layer["kind"], layer["impl_reference"],
                              layer["impl_variant"]))
    return measured, layers, distinct

print(f"{'seed':>4} {'side':>7} {'variants':>8} {'cliff layers':>12} "
      f"{'distinct cliffs':>15}")
totals = {"guided": set(), "random": set()}
for seed in seeds:
    for side, path in (("guided", f"{work}/guided-{seed}/report/findings.json"),
                       ("random", f"{work}/random-{seed}/findings.json")):
        measured, layers, distinct = cliffs(path)
        totals[side] |= distinct
        print(f"{seed:>4} {side:>7} {measured:>8} {layers:>12} {len(distinct):>15}")
for side, distinct in totals.items():
    print(f"{side}: {len(distinct)} distinct cliffs over all seeds")
    for kind, ref, var in sorted(distinct):
        print(f"  {kind}: {ref or '-'} -> {var or '-'}")
PY
