#!/usr/bin/env python3
"""Writes the batch results files tests/e2e/compare.test ingests.

Not run by the tests: the .jsonl files next to this script are committed, so
the comparison's verdicts are fixed. Rerun it after changing the scenarios:

    python3 tests/e2e/Inputs/compare/make-inputs.py tests/e2e/Inputs/compare

The model "tiny": conv1 (16 -> C channels), relu, conv2 (C -> 16), out.relu.
The reference has C = 64; v001..v003 change C. Every layer runs at a fixed
throughput per FLOP, except where a scenario says otherwise; each measurement
has 5 samples within +-1% and an interval of +-0.5% around its median.
"""

import json
import os
import sys

VARIANTS = [("reference", 64), ("v001", 65), ("v002", 96), ("v003", 48)]
FLOPS_PER_NS = 50.0
OPTIONS = {"warmup_ms": 1, "min_samples": 5, "min_time_ms": 1,
           "max_time_ms": 30}


def plan(key, channels):
    def tensor(i, name, shape, role):
        return {"id": i, "name": name, "shape": shape, "dtype": "f32",
                "role": role}

    conv = {"stride": [1, 1], "pad": [1, 1, 1, 1], "dilation": [1, 1],
            "groups": 1}
    tensors = [
        tensor(0, "x", [1, 8, 8, 16], "input"),
        tensor(1, "w1", [channels, 3, 3, 16], "weight"),
        tensor(2, "c1", [1, 8, 8, channels], "activation"),
        tensor(3, "r1", [1, 8, 8, channels], "activation"),
        tensor(4, "w2", [16, 3, 3, channels], "weight"),
        tensor(5, "c2", [1, 8, 8, 16], "activation"),
        tensor(6, "y", [1, 8, 8, 16], "activation"),
    ]
    layers = [
        {"id": 0, "name": "conv1", "kind": "conv2d", "inputs": [0, 1],
         "outputs": [2], "attrs": conv, "flops": 2 * 64 * channels * 9 * 16},
        {"id": 1, "name": "relu", "kind": "eltwise", "inputs": [2],
         "outputs": [3], "attrs": {"op": "relu"}, "flops": 64 * channels},
        {"id": 2, "name": "conv2", "kind": "conv2d", "inputs": [3, 4],
         "outputs": [5], "attrs": conv, "flops": 2 * 64 * 16 * 9 * channels},
        {"id": 3, "name": "out.relu", "kind": "eltwise", "inputs": [5],
         "outputs": [6], "attrs": {"op": "relu"}, "flops": 64 * 16},
    ]
    metadata = {"strategy": "neighborhood", "seed": 1,
                "mutations": [] if key == "reference"
                else ["set_channels(conv1, %d)" % channels]}
    return {"format": "goodhart.plan", "version": 1, "model": "tiny",
            "variant": key, "source": "tiny.mlir", "tensors": tensors,
            "layers": layers, "inputs": [0], "outputs": [6],
            "metadata": metadata}


def measurement(ns):
    return {"status": "ok", "reason": "",
            "samples_ns": [ns * f for f in (0.99, 0.995, 1, 1.005, 1.01)],
            "stats": {"count": 5, "median_ns": ns, "min_ns": ns * 0.99,
                      "mean_ns": ns, "rsd": 0.004, "ci_low_ns": ns * 0.995,
                      "ci_high_ns": ns * 1.005},
            "stop_reason": "min_samples"}


def results(library_version, options, slowdown, impl):
    """slowdown(key, layer) -> time factor; impl(key, layer) -> impl name."""
    runner = {"name": "onednn", "runner_version": "0.1.0",
              "library": "oneDNN", "library_version": library_version,
              "device": "Test CPU", "isa": "avx512_core", "threads": 2,
              "kinds": ["conv2d", "eltwise"], "dtypes": ["f32"]}
    lines = []
    for number, (key, channels) in enumerate(VARIANTS, 1):
        p = plan(key, channels)
        layers, total = [], 0.0
        for layer in p["layers"]:
            ns = round(layer["flops"] / FLOPS_PER_NS *
                       slowdown(key, layer["name"]), 1)
            total += ns
            m = measurement(ns)
            m.update({"id": layer["id"],
                      "impl": impl(key, layer["name"]),
                      "repro": "--%s %s c%d" % (layer["kind"], layer["name"],
                                                channels),
                      "check": {"verdict": "passed", "points": 64,
                                "max_abs_err": 0.0, "max_rel_err": 0.0}})
            layers.append(m)
        lines.append({"protocol": 1, "id": number, "type": "measure",
                      "status": "ok", "runner": runner, "layers": layers,
                      "model": measurement(round(total, 1)),
                      "plan_file": "plans/%s.plan.json" % key, "plan": p,
                      "options": options})
    return lines


def default_impl(key, layer):
    if layer.startswith("conv"):
        return "gemm:jit" if key == "v001" and layer == "conv1" \
            else "brgconv:avx512_core"
    return "jit:avx512_core"


def baseline_slowdown(key, layer):
    # v001's conv1 (65 channels) falls off brgconv: a cliff in the baseline.
    return 2.0 if key == "v001" and layer == "conv1" else 1.0


def benchmark_only_slowdown(key, layer):
    # The new release tuned the reference's convolutions, and only those.
    if key == "reference" and layer.startswith("conv"):
        return 0.7
    return baseline_slowdown(key, layer)


def regression_slowdown(key, layer):
    # v001's cliff is fixed; v002's conv1 (96 channels) falls off instead.
    if key == "v002" and layer == "conv1":
        return 2.2
    return 1.0


def regression_impl(key, layer):
    if layer == "conv1" and key == "v002":
        return "gemm:jit"
    return "brgconv:avx512_core" if layer.startswith("conv") \
        else "jit:avx512_core"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__)
    slower_options = dict(OPTIONS, max_time_ms=50)
    files = {
        "baseline.jsonl": results("2.6.3", OPTIONS, baseline_slowdown,
                                  default_impl),
        "benchmark-only.jsonl": results("2.7.0", slower_options,
                                        benchmark_only_slowdown, default_impl),
        "regression.jsonl": results("2.7.0", OPTIONS, regression_slowdown,
                                    regression_impl),
    }
    for name, lines in files.items():
        with open(os.path.join(out, name), "w") as f:
            for line in lines:
                f.write(json.dumps(line, sort_keys=True,
                                   separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
