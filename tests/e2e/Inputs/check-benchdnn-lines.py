#!/usr/bin/env python3
"""Checks the oneDNN runner's benchdnn lines against a model of benchdnn.

Reads the JSON lines of `goodhart-repro-lines onednn` on stdin: each has
the benchdnn line of a plan layer, the layer's kind, attributes, input
shapes and output. A line passes when benchdnn (as of oneDNN 2.x, the
version the runner is built with) would accept it, with only the knobs each
driver takes and values it names, and when the problem it describes is the
layer's: the same shapes (convolution and pooling in NCHW order, with
benchdnn's right padding derived from the output size equal to the
layer's), kernel, stride, dilation, bias, algorithm, data types and
post-ops. Prints a summary line; exits 1 naming every line that failed.
"""
import math
import re
import shlex
import sys

from repro_lines import check_all, need

DT = {"f32": "f32", "bf16": "bf16", "f16": "f16", "i32": "s32", "i8": "s8"}
DTS = set(DT.values()) | {"u8"}
# A plan's eltwise op as oneDNN runs it: benchdnn's algorithm, alpha, beta
# (a clamp's bounds come from the layer).
ELTWISE = {"relu": ("relu", 0, 0), "clamp": ("clip", None, None),
           "sigmoid": ("logistic", 0, 0), "tanh": ("tanh", 0, 0),
           "exp": ("exp", 0, 0), "log": ("log", 0, 0), "abs": ("abs", 0, 0),
           "gelu_erf": ("gelu_erf", 0, 0), "gelu_tanh": ("gelu_tanh", 0, 0),
           "silu": ("swish", 1, 0), "neg": ("linear", -1, 0),
           "reciprocal": ("pow", 1, -1), "rsqrt": ("pow", 1, -0.5)}


def eltwise(op):
    """(algorithm, alpha, beta) benchdnn must be given for an eltwise op."""
    need(op.get("op") in ELTWISE, f"eltwise op {op.get('op')}")
    alg, alpha, beta = ELTWISE[op["op"]]
    if alpha is None:
        alpha, beta = op.get("alpha", 0.0), op.get("beta", 0.0)
    return alg, float(alpha), float(beta)


def same(text, value):
    """Whether benchdnn's float of `text` is the layer's float `value`."""
    import struct
    f32 = lambda v: struct.unpack("f", struct.pack("f", float(v)))[0]
    return f32(text) == f32(value)
BINARY = {"add", "sub", "mul", "div", "max", "min"}
REDUCE = {"sum": "sum", "mean": "mean", "max": "max", "min": "min",
          "prod": "mul"}
POLICIES = {"common", "per_oc", "per_tensor"}
KNOBS = {
    "conv": {"dir", "cfg", "stag", "wtag", "dtag", "attr-post-ops"},
    "ip": {"dir", "cfg", "stag", "wtag", "dtag", "attr-post-ops"},
    "pool": {"dir", "cfg", "tag", "alg"},
    "matmul": {"cfg", "stag", "wtag", "dtag", "attr-post-ops"},
    "eltwise": {"dir", "dt", "tag", "alg", "alpha", "beta", "inplace"},
    "binary": {"sdt", "ddt", "stag", "alg", "inplace", "attr-post-ops"},
    "reduction": {"sdt", "ddt", "stag", "dtag", "alg"},
    "softmax": {"dir", "sdt", "ddt", "stag", "dtag", "alg", "axis",
                "inplace"},
    "lnorm": {"dir", "dt", "tag", "flags", "inplace"},
    "reorder": {"sdt", "ddt", "stag", "dtag"},
    "concat": {"sdt", "ddt", "stag", "dtag", "axis"},
}
DRIVER = {"conv2d": "conv", "inner_product": "ip", "pool2d": "pool",
          "matmul": "matmul", "eltwise": "eltwise", "binary": "binary",
          "reduce": "reduction", "softmax": "softmax", "norm": "lnorm",
          "transpose": "reorder", "cast": "reorder", "concat": "concat"}


def plain(rank):
    return "abcdefghijklmnopqrstuvwxyz"[:rank]


def parse(line):
    """(driver, {knob: value}, problem) of a benchdnn line."""
    tokens = shlex.split(line)
    need(tokens and tokens[0].startswith("--") and "=" not in tokens[0],
         "a line starts with its driver")
    driver = tokens[0][2:]
    need(driver in KNOBS, f"no benchdnn driver --{driver}")
    knobs, problems = {}, []
    for t in tokens[1:]:
        if t.startswith("--"):
            name, eq, value = t[2:].partition("=")
            need(eq, f"--{name} without a value")
            need(name in KNOBS[driver],
                 f"--{driver} takes no --{name} (benchdnn exits on it)")
            need(name not in knobs, f"--{name} twice")
            knobs[name] = value
        else:
            problems.append(t)
    need(len(problems) == 1, f"{len(problems)} problems on one line")
    return driver, knobs, problems[0]


def fields(problem, names):
    """A descriptor such as g2mb1ic8ih8...n"name" as {field: int}."""
    body = re.split(r"(?<=\d)n", problem, maxsplit=1)[0]
    found = dict((k, int(v)) for k, v in re.findall(r"([a-z]+)(\d+)", body))
    need("".join(f"{k}{v}" for k, v in re.findall(r"([a-z]+)(\d+)", body))
         == body, f"descriptor {problem!r} is not NAMEvalue pairs")
    for k in found:
        need(k in names, f"descriptor field {k!r}")
    return found


def dims(text):
    need(re.fullmatch(r"\d+(x\d+)*", text), f"dims {text!r}")
    return [int(d) for d in text.split("x")]


def cfg_types(cfg, count):
    """The types a --cfg names, one per tensor (oneDNN 2.x's names)."""
    if cfg in DTS:
        return [cfg] * count
    parts = re.findall(r"bf16|f16|f32|s32|s8|u8", cfg)
    need("".join(parts) == cfg and len(parts) == count,
         f"--cfg={cfg} names no {count} types")
    return parts


def check_types(knobs, tensors):
    need("cfg" in knobs, "no --cfg")
    want = [DT.get(t, "?") for t in tensors]
    need(cfg_types(knobs["cfg"], len(want)) == want,
         f"--cfg={knobs['cfg']} for types {want}")


def post_ops(record):
    return record["attrs"].get("post_ops", [])


def primary_inputs(record):
    return len(record["inputs"]) - sum(
        1 for op in post_ops(record) if "input" in op)


def check_post_ops(record, knobs):
    ops = post_ops(record)
    if not ops:
        need("attr-post-ops" not in knobs, "post-ops the layer has not")
        return
    items = knobs.get("attr-post-ops", "").split("+")
    need(len(items) == len(ops), f"{len(items)} post-ops for {len(ops)}")
    for item, op in zip(items, ops):
        parts = item.split(":")
        if op["kind"] == "sum":
            need(parts[0] == "sum", f"{item} for a sum")
        elif op["kind"] == "eltwise":
            alg, alpha, beta = eltwise(op)
            given = parts[1:] + ["0"] * (3 - len(parts))
            need(parts[0] == alg and len(parts) <= 3 and
                 same(given[0], alpha) and same(given[1], beta),
                 f"{item} for {op}")
        else:
            need(parts[0] == op["op"] and parts[0] in BINARY,
                 f"{item} for binary {op['op']}")
            need(len(parts) >= 3 and parts[1] in DTS and parts[2] in POLICIES,
                 f"binary post-op {item} is not BINARY:DT:POLICY")


def check_window(record, f, out, names):
    """Convolution or pooling: NHWC plan shapes against NCHW fields."""
    x = record["inputs"][0]
    need([f.get("mb"), f.get("ic"), f.get("ih"), f.get("iw")] ==
         [x[0], x[3], x[1], x[2]], f"input {x} as {f}")
    need([f.get("oh"), f.get("ow")] == [out[1], out[2]], f"output {out}")
    a = record["attrs"]
    kernel = names["kernel"]
    stride = a.get("stride", [1, 1])
    pad = a.get("pad", [0, 0, 0, 0])
    dil = a.get("dilation", [1, 1])
    need([f.get("sh"), f.get("sw")] == stride, f"stride {stride}")
    need([f.get("ph"), f.get("pw")] == [pad[0], pad[2]], f"pad {pad}")
    dh, dw = f.get("dh", 0), f.get("dw", 0)
    need([dh + 1, dw + 1] == dil, f"dilation {dil} (benchdnn's is 0-based)")
    for i, (ih, oh, k, s, p, d) in enumerate(
            [(x[1], out[1], kernel[0], stride[0], pad[0], dh),
             (x[2], out[2], kernel[1], stride[1], pad[2], dw)]):
        # benchdnn derives the right padding from the output size.
        right = (oh - 1) * s - ih + ((k - 1) * (d + 1) + 1) - p
        want = pad[1] if i == 0 else pad[3]
        need(right == want, f"benchdnn's derived padding {right} for the "
             f"layer's {want}")


def check(record):
    driver, knobs, problem = parse(record["repro"])
    kind, a, out = record["kind"], record["attrs"], record["out_shape"]
    need(DRIVER.get(kind) == driver, f"--{driver} for a {kind} layer")
    ins = record["inputs"]
    if driver == "conv":
        f = fields(problem, {"g", "mb", "ic", "ih", "iw", "oc", "oh", "ow",
                             "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw"})
        g = f.get("g", 1)
        need(a.get("groups", 1) == g, f"g{g} for {a.get('groups')} groups")
        need("g" not in f or g > 1, "g1 makes benchdnn's weights grouped")
        need(f["ic"] % g == 0 and f["oc"] % g == 0, "channels over groups")
        w = ins[1]
        need([f.get("oc"), f.get("kh"), f.get("kw"), f["ic"] // g] == w,
             f"weights {w}")
        check_window(record, f, out, {"kernel": [w[1], w[2]]})
        need(f.get("oc") == out[3], f"oc for output {out}")
        bias = primary_inputs(record) >= 3
        need(knobs.get("dir") == ("FWD_B" if bias else "FWD_I"),
             f"--dir={knobs.get('dir')} for a layer "
             f"{'with' if bias else 'without'} bias")
        check_types(knobs, [record["in_dtypes"][0], record["in_dtypes"][1],
                            record["out_dtype"]])
        check_post_ops(record, knobs)
    elif driver == "ip":
        f = fields(problem, {"mb", "ic", "oc"})
        x = ins[0]
        need(f.get("ic") == x[-1] and f.get("mb") * f["ic"] == math.prod(x),
             f"source {x} as {f}")
        need(f.get("oc") == out[-1] and f["mb"] * f["oc"] == math.prod(out),
             f"output {out} as {f}")
        bias = primary_inputs(record) >= 3
        need(knobs.get("dir") == ("FWD_B" if bias else "FWD_I"),
             f"--dir={knobs.get('dir')}, bias {bias}")
        check_types(knobs, [record["in_dtypes"][0], record["in_dtypes"][1],
                            record["out_dtype"]])
        check_post_ops(record, knobs)
    elif driver == "pool":
        f = fields(problem, {"mb", "ic", "ih", "iw", "oh", "ow", "kh", "kw",
                             "sh", "sw", "ph", "pw"})
        k = a.get("kernel")
        need([f.get("kh"), f.get("kw")] == k, f"kernel {k}")
        check_window(record, f, out, {"kernel": k})
        need(knobs.get("alg") == ("max" if a.get("algorithm") == "max"
                                  else "avg_np"), f"--alg for {a}")
        check_types(knobs, [record["out_dtype"]])
    elif driver == "matmul":
        src, wei = problem.split("n", 1)[0].split(":")
        sa, sb = dims(src), dims(wei)
        need(sa == ins[0] and sb == ins[1], f"{sa}:{sb} for {ins[:2]}")
        need(sa[-1] == sb[-2], f"inner dimensions {sa}:{sb}")
        check_types(knobs, [record["in_dtypes"][0], record["in_dtypes"][1],
                            record["out_dtype"]])
        check_post_ops(record, knobs)
    elif driver == "eltwise":
        need(dims(problem) == out, f"dims {problem} for {out}")
        alg, alpha, beta = eltwise(a)
        need(knobs.get("alg") == alg, f"--alg for {a}")
        need("alpha" in knobs and "beta" in knobs,
             "no --alpha/--beta: benchdnn runs 0, 0.25 and -0.25")
        need(same(knobs["alpha"], alpha) and same(knobs["beta"], beta),
             f"alpha {knobs['alpha']} beta {knobs['beta']} for {a}")
        need(knobs.get("dt") == DT.get(record["out_dtype"]), "--dt")
    elif driver == "binary":
        s0, s1 = (dims(t) for t in problem.split(":"))
        need(s0 == out, f"src0 {s0}: benchdnn's dst is src0's shape {out}")
        need(len(s1) == len(s0) and
             all(b in (1, o) for b, o in zip(s1, s0)),
             f"src1 {s1} does not broadcast to {s0}")
        need(sorted([s0, s1]) == sorted(ins[:2]), f"{s0}:{s1} for {ins[:2]}")
        if [s0, s1] != ins[:2]:
            need(a.get("op") not in ("sub", "div"),
                 f"{a.get('op')} with its operands swapped")
        need(knobs.get("alg") == a.get("op"), f"--alg for {a}")
    elif driver == "reduction":
        src, dst = (dims(t) for t in problem.split(":"))
        need(src == ins[0] and dst == out, f"{src}:{dst}")
        need(knobs.get("alg") == REDUCE.get(a.get("op")), f"--alg for {a}")
    elif driver == "softmax":
        need(dims(problem) == ins[0], f"dims {problem}")
        need(int(knobs.get("axis", -1)) == a.get("axis"),
             f"--axis={knobs.get('axis')} for the plan's {a.get('axis')}")
        need(knobs.get("alg") == "SOFTMAX", "--alg")
    elif driver == "lnorm":
        x = dims(problem)
        need(x == ins[0], f"dims {problem}")
        flags = knobs.get("flags", "")
        need(set(flags) <= {"C", "H"}, f"--flags={flags}")
        need(("C" in flags) == (len(ins) > 1) and
             ("H" in flags) == (len(ins) > 2), f"--flags={flags} for "
             f"{len(ins) - 1} parameters")
        need(len(x) in (2, 3) or knobs.get("tag") == "abx",
             f"rank-{len(x)} data in benchdnn's default tnc tag")
    elif driver == "reorder":
        x = dims(problem)
        need(x == ins[0], f"dims {problem} for {ins[0]}")
        need(knobs.get("stag") == plain(len(x)), f"--stag={knobs.get('stag')}")
        need(knobs.get("sdt") == DT.get(record["in_dtypes"][0]) and
             knobs.get("ddt") == DT.get(record["out_dtype"]), "--sdt/--ddt")
        perm = a.get("perm", list(range(len(x))))
        # The destination tag lists the source's dimensions outermost
        # first: the output's row-major order.
        tag = knobs.get("dtag", "")
        need(sorted(tag) == list(plain(len(x))), f"--dtag={tag}")
        need([x[ord(c) - ord("a")] for c in tag] == out,
             f"--dtag={tag} writes {[x[ord(c) - ord('a')] for c in tag]}, "
             f"the layer {out}")
        need([ord(c) - ord("a") for c in tag] == perm, f"--dtag for {perm}")
    elif driver == "concat":
        parts = [dims(t) for t in problem.split(":")]
        need(parts == ins, f"{problem} for {ins}")
        axis = int(knobs.get("axis", -1))
        need(axis == a.get("axis"), f"--axis={axis} for {a.get('axis')}")
        need(knobs.get("stag") == ":".join(plain(len(p)) for p in parts) and
             knobs.get("dtag") == plain(len(out)), "plain tags")
        need(all(len(p) == len(out) and all(
            p[i] == out[i] for i in range(len(out)) if i != axis)
            for p in parts) and sum(p[axis] for p in parts) == out[axis],
            f"{parts} along {axis} for {out}")


if __name__ == "__main__":
    sys.exit(check_all(check, "benchdnn",
                       lambda r: f"{r['plan']}: {r['layer']}"))
