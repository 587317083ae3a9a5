#!/usr/bin/env bash
# Builds goodhart-runner-cudnn on a GPU host that has only CUDA and cuDNN
# (no MLIR, no oneDNN) and measures every plan under the given directories
# in batch mode. Plans are made elsewhere (goodhart generate ... --out DIR)
# and copied along; the results file goes back to be ingested there.
#
#   scripts/gpu-check.sh OUT_DIR PLAN_DIR...
#
# cuDNN is taken from CUDNN_ROOT, else from PyTorch's wheel
# (python3 -c "import nvidia.cudnn"), else from the CUDA toolkit.
#
# GPU_CHECK_TF32=1 lets f32 layers use TF32 (default: strict f32),
# GPU_CHECK_LAYOUT=nchw stores rank-4 tensors NCHW (default: nhwc),
# GPU_CHECK_TESTS=1 also builds and runs the runner's unit tests (their
# GPU cases run only here; needs GoogleTest) before measuring.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
shift
mkdir -p "$out"

if [ -z "${CUDNN_ROOT:-}" ]; then
  CUDNN_ROOT=$(python3 -c 'import nvidia.cudnn, os; print(nvidia.cudnn.__path__[0])' 2>/dev/null || true)
fi
echo "gpu-check: cuDNN root: ${CUDNN_ROOT:-CUDA toolkit}"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv | tee "$out/nvidia-smi.csv"

tests=OFF
[ "${GPU_CHECK_TESTS:-0}" = 1 ] && tests=ON
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DGOODHART_RUNNERS_ONLY=ON \
  -DGOODHART_WITH_ONEDNN=OFF -DGOODHART_WITH_CUDNN=ON -DGOODHART_BUILD_TESTS=$tests \
  ${CUDNN_ROOT:+-DGOODHART_CUDNN_ROOT=$CUDNN_ROOT} > "$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j "$(nproc)" --target goodhart-runner-cudnn > "$out/build.log" 2>&1 ||
  { tail -40 "$out/build.log"; exit 1; }
export LD_LIBRARY_PATH=${CUDNN_ROOT:+$CUDNN_ROOT/lib:}${LD_LIBRARY_PATH:-}
if [ "$tests" = ON ]; then
  cmake --build build-gpu -j "$(nproc)" > "$out/build-tests.log" 2>&1 ||
    { tail -40 "$out/build-tests.log"; exit 1; }
  ctest --test-dir build-gpu -R 'Cudnn|Nvml' --output-on-failure -V \
    > "$out/tests.log" 2>&1 || { tail -60 "$out/tests.log"; exit 1; }
  grep -E 'tests passed|Skipped|layer [0-9]' "$out/tests.log" || true
fi

# GPU_CHECK_MAX_TIME_MS bounds each measurement (fast kernels would
# otherwise collect tens of thousands of samples each).
cat > "$out/options.json" <<JSON
{"warmup_ms": 20, "min_samples": 20, "min_time_ms": 20,
 "max_time_ms": ${GPU_CHECK_MAX_TIME_MS:-300}, "target_rsd": 0.005,
 "tf32": $([ "${GPU_CHECK_TF32:-0}" = 1 ] && echo true || echo false),
 "layout": "${GPU_CHECK_LAYOUT:-nhwc}"}
JSON
plans=()
for dir in "$@"; do
  while IFS= read -r p; do plans+=(--plan "$p"); done < <(find "$dir" -name '*.plan.json' | sort)
done
echo "gpu-check: measuring $((${#plans[@]} / 2)) plans"
time build-gpu/bin/goodhart-runner-cudnn "${plans[@]}" --options "$out/options.json" \
  --out "$out/results.jsonl"
gzip -f "$out/results.jsonl"
echo "gpu-check: results in $out/results.jsonl.gz"
