#!/usr/bin/env python3
"""Runs the cuDNN runner's PyTorch repro lines against a stand-in for torch.

Reads the JSON lines of goodhart-repro-lines on stdin. Each repro line
is executed with `torch` bound to a model of the few torch calls the lines
use: tensors carry only a shape and a dtype, and every call checks its
arguments as PyTorch does (conv2d's channels and groups, pooling's padding
of at most half the kernel, broadcasting, matmul's inner dimensions,
layer_norm's normalized shape, slice bounds) and computes its result's
shape. A line passes when it runs and its last value has the layer
output's number of elements and type. Prints a summary line; exits 1
naming every line that failed.
"""
import math
import sys

from repro_lines import check_all, need

DTYPES = {"f32": "float32", "bf16": "bfloat16", "f16": "float16",
          "f64": "float64", "i64": "int64", "i32": "int32", "i16": "int16",
          "i8": "int8", "bool": "bool"}


def dims(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def broadcast(a, b):
    out = []
    for i in range(max(len(a), len(b))):
        x = a[len(a) - 1 - i] if i < len(a) else 1
        y = b[len(b) - 1 - i] if i < len(b) else 1
        need(x == y or x == 1 or y == 1, f"shapes {a} and {b} do not broadcast")
        out.append(max(x, y))
    return tuple(reversed(out))


def norm_dim(d, rank):
    need(-rank <= d < rank, f"dim {d} out of range for rank {rank}")
    return d % rank if rank else 0


class T:
    def __init__(self, shape, dtype):
        need(all(isinstance(s, int) and s >= 0 for s in shape),
             f"bad shape {shape}")
        self.shape, self.dtype = tuple(shape), dtype

    def numel(self):
        return math.prod(self.shape)

    def dim(self):
        return len(self.shape)

    def to(self, *args, memory_format=None, dtype=None):
        if memory_format is not None:
            need(memory_format == "channels_last" and len(self.shape) == 4,
                 f"channels_last on a rank-{len(self.shape)} tensor")
        for a in args:
            need(isinstance(a, Dtype), f"to({a!r})")
            dtype = a
        return T(self.shape, dtype.name if dtype else self.dtype)

    def contiguous(self, memory_format=None):
        return self

    def t(self):
        need(len(self.shape) == 2, f"t() of a rank-{len(self.shape)} tensor")
        return T(self.shape[::-1], self.dtype)

    def permute(self, *order):
        order = dims(order)
        need(sorted(norm_dim(o, self.dim()) for o in order) ==
             list(range(self.dim())), f"permute{order} of {self.shape}")
        return T([self.shape[o] for o in order], self.dtype)

    def reshape(self, *shape):
        shape = dims(shape)
        need(math.prod(shape) == self.numel(),
             f"reshape {self.shape} to {shape}")
        return T(shape, self.dtype)

    view = reshape

    def transpose(self, a, b):
        order = list(range(self.dim()))
        a, b = norm_dim(a, self.dim()), norm_dim(b, self.dim())
        order[a], order[b] = order[b], order[a]
        return self.permute(*order)

    def __getitem__(self, index):
        index = index if isinstance(index, tuple) else (index,)
        need(len(index) <= self.dim(), f"{len(index)} indices into {self.shape}")
        out = []
        for i, size in enumerate(self.shape):
            s = index[i] if i < len(index) else slice(None)
            need(isinstance(s, slice), f"index {s!r}")
            start = 0 if s.start is None else s.start
            stop = size if s.stop is None else s.stop
            need(0 <= start <= stop <= size,
                 f"slice {start}:{stop} of a dimension of {size}")
            step = s.step or 1
            out.append((stop - start + step - 1) // step)
        return T(out, self.dtype)

    def _binary(self, other):
        if isinstance(other, T):
            need(other.dtype == self.dtype,
                 f"{self.dtype} with {other.dtype} (no implicit promotion "
                 "in a measured layer)")
            return T(broadcast(self.shape, other.shape), self.dtype)
        need(isinstance(other, (int, float)), f"operand {other!r}")
        return T(self.shape, self.dtype)

    __add__ = __radd__ = __sub__ = __rsub__ = _binary
    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __pow__ = _binary

    def __neg__(self):
        return self


class Dtype:
    def __init__(self, name):
        self.name = name


class Switches:
    """torch.backends.cudnn / torch.backends.cuda.matmul: allow_tf32."""

    def __setattr__(self, name, value):
        need(name == "allow_tf32" and isinstance(value, bool),
             f"backends switch {name}={value!r}")
        object.__setattr__(self, name, value)


class Namespace:
    pass


def unary(x, *args, **kwargs):
    need(isinstance(x, T), f"operand {x!r}")
    return x


def pair(v, what):
    v = (v, v) if isinstance(v, int) else tuple(v)
    need(len(v) == 2 and all(isinstance(i, int) and i >= 0 for i in v),
         f"{what}={v}")
    return v


def conv2d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1):
    need(x.dim() == 4 and w.dim() == 4, "conv2d needs 4-d x and w")
    stride, padding, dilation = (pair(stride, "stride"),
                                 pair(padding, "padding"),
                                 pair(dilation, "dilation"))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    need(c == cg * groups, f"conv2d: {c} input channels, weights for "
         f"{cg} per group x {groups} groups")
    need(o % groups == 0, f"conv2d: {o} outputs over {groups} groups")
    need(x.dtype == w.dtype, f"conv2d of {x.dtype} by {w.dtype}")
    if bias is not None:
        need(bias.shape == (o,), f"conv2d bias {bias.shape} for {o} outputs")
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    need(oh > 0 and ow > 0, f"conv2d output {oh}x{ow}")
    return T((n, o, oh, ow), x.dtype)


def pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
           count_include_pad=True, divisor_override=None):
    need(x.dim() == 4, "pooling needs a 4-d x")
    k = pair(kernel_size, "kernel_size")
    s = pair(stride if stride is not None else k, "stride")
    p = pair(padding, "padding")
    need(all(p[i] <= k[i] // 2 for i in range(2)),
         f"pad {p} should be at most half of kernel size {k}")
    out = []
    for i in range(2):
        size = x.shape[2 + i] + 2 * p[i] - k[i]
        o = (-(-size // s[i]) if ceil_mode else size // s[i]) + 1
        out.append(o)
    need(all(o > 0 for o in out), f"pooling output {out}")
    return T(x.shape[:2] + tuple(out), x.dtype)


def pad(x, padding, mode="constant", value=0.0):
    need(len(padding) % 2 == 0 and len(padding) // 2 <= x.dim(),
         f"pad {padding} of {x.shape}")
    shape = list(x.shape)
    for i in range(len(padding) // 2):
        shape[-1 - i] += padding[2 * i] + padding[2 * i + 1]
    return T(shape, x.dtype)


def linear(x, w, bias=None):
    need(w.dim() == 2, f"linear weights {w.shape}")
    need(x.shape[-1] == w.shape[1], f"linear of {x.shape} by {w.shape}")
    if bias is not None:
        need(bias.numel() == w.shape[0], f"linear bias {bias.shape}")
    return T(x.shape[:-1] + (w.shape[0],), x.dtype)


def matmul(a, b):
    need(a.dim() >= 2 and b.dim() >= 2, "matmul of vectors")
    need(a.shape[-1] == b.shape[-2], f"matmul of {a.shape} by {b.shape}")
    need(a.dtype == b.dtype, f"matmul of {a.dtype} by {b.dtype}")
    batch = broadcast(a.shape[:-2], b.shape[:-2])
    return T(batch + (a.shape[-2], b.shape[-1]), a.dtype)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    normalized_shape = tuple(normalized_shape)
    need(x.shape[len(x.shape) - len(normalized_shape):] == normalized_shape,
         f"layer_norm over {normalized_shape} of {x.shape}")
    for p in (weight, bias):
        need(p is None or p.shape == normalized_shape,
             f"layer_norm parameter {p.shape if p else None}")
    return x


def softmax(x, dim):
    norm_dim(dim, x.dim())
    return x


def reduce(x, dim=None, keepdim=False):
    if dim is None:
        return T(() if not keepdim else (1,) * x.dim(), x.dtype)
    ds = {norm_dim(d, x.dim()) for d in (dim if isinstance(dim, (tuple, list))
                                         else (dim,))}
    shape = [1 if i in ds else s for i, s in enumerate(x.shape) if keepdim or
             i not in ds]
    return T(shape, x.dtype)


def cat(tensors, dim=0):
    need(len(tensors) > 0, "cat of nothing")
    first = tensors[0]
    d = norm_dim(dim, first.dim())
    for t in tensors:
        need(t.dim() == first.dim() and t.dtype == first.dtype and all(
            t.shape[i] == first.shape[i] for i in range(t.dim()) if i != d),
            f"cat of {[t.shape for t in tensors]} along {dim}")
    shape = list(first.shape)
    shape[d] = sum(t.shape[d] for t in tensors)
    return T(shape, first.dtype)


def clamp(x, min=None, max=None):
    return x


def binary(a, b):
    if isinstance(a, T):
        return a._binary(b)
    return b._binary(a)


def randn(*shape, device=None, dtype=None):
    need(device == "cuda", f"device={device!r}")
    need(isinstance(dtype, Dtype), "randn without a dtype")
    return T(dims(shape), dtype.name)


def make_torch():
    torch = Namespace()
    for name in ["float32", "bfloat16", "float16", "float64", "int64",
                 "int32", "int16", "int8", "bool"]:
        setattr(torch, name, Dtype(name))
    torch.channels_last = "channels_last"
    torch.randn = randn
    torch.backends = Namespace()
    torch.backends.cudnn = Switches()
    torch.backends.cuda = Namespace()
    torch.backends.cuda.matmul = Switches()
    functional = Namespace()
    functional.conv2d = conv2d
    functional.max_pool2d = functional.avg_pool2d = pool2d
    functional.pad = pad
    functional.linear = linear
    functional.layer_norm = layer_norm
    functional.gelu = functional.silu = functional.relu = unary
    functional.softmax = softmax
    torch.nn = Namespace()
    torch.nn.functional = functional
    torch.matmul = torch.bmm = matmul
    torch.softmax = softmax
    torch.cat = cat
    torch.clamp = clamp
    for name in ["relu", "tanh", "sigmoid", "exp", "log", "abs", "neg",
                 "erf", "rsqrt", "reciprocal", "sqrt", "floor", "ceil"]:
        setattr(torch, name, unary)
    for name in ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]:
        setattr(torch, name, binary)
    for name in ["sum", "mean", "amax", "amin", "prod"]:
        setattr(torch, name, reduce)
    return torch


def last_value(line, scope):
    """Runs `line`; the value of its last statement (an expression, or the
    name a last assignment bound)."""
    import ast
    tree = ast.parse(line)
    need(tree.body, "an empty line")
    last = tree.body[-1]
    if isinstance(last, ast.Expr):
        head = ast.Module(body=tree.body[:-1], type_ignores=[])
        exec(compile(head, "<repro>", "exec"), scope)
        return eval(compile(ast.Expression(last.value), "<repro>", "eval"),
                    scope)
    exec(compile(tree, "<repro>", "exec"), scope)
    need(isinstance(last, ast.Assign) and len(last.targets) == 1 and
         isinstance(last.targets[0], ast.Name), "the last statement")
    return scope[last.targets[0].id]


def check(record):
    value = last_value(record["repro"], {"torch": make_torch()})
    need(isinstance(value, T), f"the line ends in {value!r}")
    want = math.prod(record["out_shape"])
    need(value.numel() == want,
         f"{value.numel()} elements {value.shape}, the layer's "
         f"output has {want} {tuple(record['out_shape'])}")
    need(value.dtype == DTYPES[record["out_dtype"]],
         f"a {value.dtype} result for a {record['out_dtype']} output")


if __name__ == "__main__":
    sys.exit(check_all(
        check, "torch",
        lambda r: f"{r['plan']}: {r['layer']} ({r['way']})"))
