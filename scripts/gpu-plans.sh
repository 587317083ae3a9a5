#!/usr/bin/env bash
# Makes the plan directories scripts/gpu-check.sh measures on a GPU host:
# the neighborhoods of ResNet-50 (batch 32) and BERT-large (batch 8,
# sequence 384) in bf16 with post-ops fused, as frameworks run them, and
# smallcnn (batch 32) in bf16 and f32. Batch 1 would measure launch
# latency, not the kernels: the batch is set before generating.
#
#   scripts/gpu-plans.sh OUT_DIR [BUILD_DIR]
#
# Then: carry OUT_DIR to the GPU host and run
#   scripts/gpu-check.sh RESULTS OUT_DIR/resnet50-b32-bf16 \
#     OUT_DIR/bert-large-b8-bf16 OUT_DIR/smallcnn-b32-f32 ...
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
bin=${2:-build}/bin
mkdir -p "$out/models"
batched() { # MODEL NAME BATCH
  "$bin/goodhart-opt" --mlir-print-debuginfo "--goodhart-set-batch=size=$3" \
    "corpus/$1.mlir" -o "$out/models/$2.mlir"
}
batched resnet50 resnet50-b32 32
batched bert_large bert-large-b8 8
batched smallcnn smallcnn-b32 32
gen() { # NAME DTYPE COUNT [OPTIONS...]
  local name=$1 dtype=$2 count=$3
  shift 3
  rm -rf "$out/$name-$dtype"
  "$bin/goodhart" generate "$out/models/$name.mlir" --dtype "$dtype" \
    --count "$count" --seed 1 "$@" --out "$out/$name-$dtype"
  rm -f "$out/$name-$dtype"/*.mlir # the plans are what travels
}
gen resnet50-b32 bf16 6 --fuse-post-ops
gen bert-large-b8 bf16 6 --fuse-post-ops
gen smallcnn-b32 bf16 2
gen smallcnn-b32 f32 2
