#!/usr/bin/env bash
# Builds goodhart-runner-cudnn on a GPU host that has only CUDA and cuDNN
# (no MLIR, no oneDNN) and measures the plans of each directory given, in
# batch mode, one results file per directory. Plans are made elsewhere
# (goodhart generate ... --out DIR) and copied along; the results files go
# back to be ingested there (goodhart ingest, then goodhart report).
#
#   scripts/gpu-check.sh OUT_DIR PLAN_DIR[:nchw][:tf32][:fused]...
#
# A plan directory is one campaign: its plans run in one runner process,
# which measures each distinct layer once (identity variants whole). The
# suffixes measure that directory with the NCHW layout, with TF32 allowed or
# with bias and post-ops fused into the layer's kernel (fusion "graph"; the
# defaults are NHWC, strict f32 and eager); its results file is named after
# the directory and the suffixes.
#
# A crash or hang of the vendor stack ends only the plan it happened in: the
# runner is started again on the plans after it, and the plan is listed in
# the log as crashed; a plan that writes nothing for GPU_CHECK_HANG_S seconds
# (default 120) hung. Everything ends by GPU_CHECK_DEADLINE seconds (default
# 420) after the start, so what was measured always comes back.
#
# cuDNN is taken from CUDNN_ROOT, else from PyTorch's wheel
# (python3 -c "import nvidia.cudnn"), else from the CUDA toolkit.
# GPU_CHECK_TESTS=1 also builds and runs the runner's unit tests (their GPU
# cases run only here; needs GoogleTest) before measuring.
# GPU_CHECK_MAX_TIME_MS bounds each measurement (default 80 ms).
# GPU_CHECK_RUNNER=EXE measures with a runner already built (no build).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
deadline=${GPU_CHECK_DEADLINE:-420}
out=$1
shift
mkdir -p "$out"
log=$out/gpu-check.log
# Options files and the runner's partial results: this call's own.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { echo "gpu-check: $*" | tee -a "$log"; }
left() { echo $((deadline - ($(date +%s) - start))); }

if [ -z "${CUDNN_ROOT:-}" ]; then
  CUDNN_ROOT=$(python3 -c 'import nvidia.cudnn, os; print(nvidia.cudnn.__path__[0])' 2>/dev/null || true)
fi
say "cuDNN root: ${CUDNN_ROOT:-CUDA toolkit}"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit,temperature.gpu \
  --format=csv 2>&1 | tee -a "$log" || true

runner=${GPU_CHECK_RUNNER:-}
if [ -z "$runner" ]; then
  tests=OFF
  [ "${GPU_CHECK_TESTS:-0}" = 1 ] && tests=ON
  generator=()
  command -v ninja > /dev/null && generator=(-G Ninja)
  cmake "${generator[@]}" -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release \
    -DGOODHART_RUNNERS_ONLY=ON -DGOODHART_WITH_ONEDNN=OFF -DGOODHART_WITH_CUDNN=ON \
    -DGOODHART_BUILD_TESTS=$tests ${CUDNN_ROOT:+-DGOODHART_CUDNN_ROOT=$CUDNN_ROOT} \
    >> "$log" 2>&1 || { tail -30 "$log"; exit 1; }
  cmake --build build-gpu -j "$(nproc)" --target goodhart-runner-cudnn >> "$log" 2>&1 ||
    { tail -40 "$log"; exit 1; }
  say "runner built after $(($(date +%s) - start)) s"
  export LD_LIBRARY_PATH=${CUDNN_ROOT:+$CUDNN_ROOT/lib:}${LD_LIBRARY_PATH:-}
  runner=build-gpu/bin/goodhart-runner-cudnn
  $runner --version | tee -a "$log"
  if [ "$tests" = ON ]; then
    if cmake --build build-gpu -j "$(nproc)" >> "$log" 2>&1; then
      ctest --test-dir build-gpu -R 'Cudnn|Nvml|BatchMemo|StridedCopy|BlockingKernel|EnergyWindow' --output-on-failure -V \
        > "$out/tests.log" 2>&1 || say "unit tests FAILED (tests.log)"
      grep -E 'tests passed|tests failed|Skipped|FAILED|layer [0-9]' "$out/tests.log" | tee -a "$log" || true
      # A GPU case that skips on a GPU host did not run: say why, loudly.
      if nvidia-smi -L > /dev/null 2>&1 && grep -q 'no GPU here' "$out/tests.log"; then
        say "GPU tests SKIPPED on a GPU host:"
        grep -m1 -o 'no GPU here.*' "$out/tests.log" | tee -a "$log"
      fi
    else
      say "unit tests did not build:"; tail -30 "$log"
    fi
    say "tests done after $(($(date +%s) - start)) s"
  fi
fi

# One options file per layout and precision; each measurement is bounded.
options() { # LAYOUT TF32 FUSION -> path
  local f=$work/options-$1-$2-$3.json
  cat > "$f" <<JSON
{"warmup_ms": ${GPU_CHECK_WARMUP_MS:-10}, "min_samples": 20, "min_time_ms": 10,
 "max_time_ms": ${GPU_CHECK_MAX_TIME_MS:-80}, "target_rsd": 0.005,
 "tf32": $2, "layout": "$1", "fusion": "$3"}
JSON
  cat "$f" >> "$log"
  echo "$f"
}

# measure NAME OPTIONS PLAN... : the plans in one runner process, started
# again after a crash or a hang on the plans left.
measure() {
  local name=$1 opts=$2
  shift 2
  local plans=("$@") part=0 results=$work/$name
  rm -rf "$results" && mkdir -p "$results"
  while [ ${#plans[@]} -gt 0 ]; do
    if [ "$(left)" -le 0 ]; then
      say "$name: deadline reached, ${#plans[@]} plans not measured: ${plans[*]}"
      break
    fi
    part=$((part + 1))
    local args=() rc=0
    for p in "${plans[@]}"; do args+=(--plan "$p"); done
    local file=$results/part$part.jsonl done=0 idle=0 pid
    "$runner" "${args[@]}" --options "$opts" --out "$file" >> "$log" 2>&1 &
    pid=$!
    # Watchdog: a plan that writes nothing for GPU_CHECK_HANG_S seconds hung.
    while kill -0 "$pid" 2> /dev/null; do
      sleep 1
      local now=0
      [ -f "$file" ] && now=$(wc -l < "$file")
      if [ "$now" -gt "$done" ]; then done=$now idle=0; else idle=$((idle + 1)); fi
      if [ "$idle" -ge "${GPU_CHECK_HANG_S:-120}" ] || [ "$(left)" -le 0 ]; then
        kill -KILL "$pid" 2> /dev/null || true
      fi
    done
    wait "$pid" || rc=$?
    # A runner killed while writing a line leaves half of it: dropped, so
    # the next line (the plan's error, the restarted runner's) stays whole.
    [ -f "$file" ] && python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[1], "wb").write(d[:d.rfind(b"\n") + 1])' "$file" || true
    [ -f "$file" ] && done=$(wc -l < "$file")
    [ "$rc" = 0 ] && break
    if [ "$done" -ge ${#plans[@]} ]; then break; fi
    if [ "$rc" = 3 ] || [ "$rc" = 4 ]; then # unavailable, bad input
      say "$name: the runner refused to start (exit $rc); see the log"
      break
    fi
    if [ "$(left)" -le 0 ]; then
      say "$name: deadline reached in ${plans[$done]}; $((${#plans[@]} - done)) plans not measured"
      break
    fi
    say "$name: runner exited with $rc after $done plans; ${plans[$done]} CRASHED or hung"
    # The plan's result line is its error, so ingest records a finding.
    python3 - "${plans[$done]}" "$rc" "$idle" "$(basename "$runner")" >> "$file" << 'PY' || true
import json, signal, sys
plan_file, rc, idle, runner = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
why = f"exit status {rc}"
if rc > 128:
    why = f"killed by {signal.Signals(rc - 128).name}"
if rc == 137 and idle > 0:
    why = f"hung: no result for {idle} s, killed"
print(json.dumps({"protocol": 1, "id": 0, "type": "measure", "status": "error",
                  "error": {"code": "crash", "message": runner + ": " + why},
                  "plan_file": plan_file, "plan": json.load(open(plan_file))}))
PY
    plans=("${plans[@]:$((done + 1))}")
  done
  cat "$results"/part*.jsonl 2> /dev/null | gzip > "$out/results-$name.jsonl.gz" || true
  say "$name: $(zcat "$out/results-$name.jsonl.gz" | wc -l) plans measured after $(($(date +%s) - start)) s"
}

for spec in "$@"; do
  dir=${spec%%:*}
  layout=nhwc tf32=false fusion=eager name=$(basename "$dir")
  case ":$spec:" in *:nchw:*) layout=nchw name=$name-nchw ;; esac
  case ":$spec:" in *:tf32:*) tf32=true name=$name-tf32 ;; esac
  case ":$spec:" in *:fused:*) fusion=graph name=$name-fused ;; esac
  mapfile -t plans < <(find "$dir" -name '*.plan.json' | sort)
  say "$name: ${#plans[@]} plans, layout $layout, tf32 $tf32, fusion $fusion"
  measure "$name" "$(options $layout $tf32 $fusion)" "${plans[@]}"
done
say "done after $(($(date +%s) - start)) s"
