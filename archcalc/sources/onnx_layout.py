"""The ONNX importer's handlers for layout and elementwise operators: Reshape, Flatten, Transpose, Pad, Slice,
Split, Resize, Concat, Add/Sub/Mul/Div, ReduceMean, Squeeze/Unsqueeze and Gather of an activation. ONNX's
axes count the batch as torch's dims do, so they are passed to the builder as torch's dims."""

from __future__ import annotations

from ..core import ir
from ..core.shape import is_symbolic, product, to_plain
from .onnx_importer import Act, Const, UnsupportedOp
from .onnx_ops import handles, number

INT_MAX = 1 << 62


def ints(value, what: str) -> list:
    if not isinstance(value, Const):
        raise UnsupportedOp(f"{what} computed from an activation's values")
    return [to_plain(v) if not isinstance(v, int) else v for v in value.values().reshape(-1).tolist()]


def _is_batch(imp, size) -> bool:
    if is_symbolic(size) or is_symbolic(imp.batch):
        return bool(size == imp.batch)
    return size == imp.batch


def reshape_to(imp, x: Act, sizes: list, name=None) -> Act:
    """x viewed as `sizes` (batch first): the first size must be the batch, or -1 over whole samples."""
    first, per = sizes[0], list(sizes[1:])
    if not per:
        raise UnsupportedOp("Reshape to the batch alone")
    if not _is_batch(imp, first):
        if first != -1 or -1 in per or product(per) != x.shape.elements:
            raise UnsupportedOp("Reshape that folds axes into the batch")
    if all(isinstance(s, int) for s in per):
        return imp.build("reshape", x, name, sizes=per)
    return imp.add_layer("reshape", ir.Reshape(tuple(to_plain(s) for s in per)), [x], name)


@handles("Reshape")
def reshape(imp, node, ins, a):
    x = ins[0]
    sizes = ints(ins[1], "Reshape's shape")
    dims = [imp.batch, *x.shape.dims]
    if not a.get("allowzero", 0):
        sizes = [dims[i] if s == 0 and i < len(dims) else s for i, s in enumerate(sizes)]
    return reshape_to(imp, x, sizes)


@handles("Flatten")
def flatten(imp, node, ins, a):
    axis = int(a.get("axis", 1)) % (ins[0].shape.rank + 1)
    if axis != 1:
        raise UnsupportedOp("Flatten at an axis other than 1 (it would fold axes into the batch)")
    return imp.build("flatten", ins[0], None, start_dim=1, end_dim=-1)


@handles("Transpose")
def transpose(imp, node, ins, a):
    x = ins[0]
    rank = x.shape.rank + 1
    perm = [int(p) for p in a.get("perm", list(range(rank))[::-1])]
    if perm[0] != 0:
        raise UnsupportedOp("Transpose that moves the batch axis")
    moved = [i for i, p in enumerate(perm) if p != i]
    if not moved:
        return x
    if len(moved) == 2:  # two axes swapped: torch's x.transpose(a, b)
        return imp.build("transpose", x, None, dim0=moved[0], dim1=moved[1])
    return imp.build("permute", x, None, dims=perm)


@handles("Pad")
def pad(imp, node, ins, a):
    x = ins[0]
    rank = x.shape.rank + 1
    pads = ints(ins[1], "Pad's pads") if len(ins) > 1 and ins[1] is not None else list(a.get("pads", []))
    axes = ints(ins[3], "Pad's axes") if len(ins) > 3 and ins[3] is not None else list(range(rank))
    pairs = {int(ax) % rank: (pads[i], pads[i + len(axes)]) for i, ax in enumerate(axes)}
    value = number(ins[2], "Pad's value") if len(ins) > 2 and ins[2] is not None else a.get("value", 0.0)
    roles = x.shape.roles
    if any(p != (0, 0) and (ax == 0 or roles[ax - 1] not in "ST") for ax, p in pairs.items()):
        raise UnsupportedOp("Pad of the batch or channel axis")
    places = [ax for ax in range(1, rank) if roles[ax - 1] in "ST"]
    chosen = [list(pairs.get(ax, (0, 0))) for ax in places]
    mode = a.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode == "constant":
        return imp.build("pad", x, None, pads=chosen, value=float(value or 0.0), dims=len(places))
    modes = {"reflect": "reflect", "edge": "replicate", "wrap": "circular"}
    if mode not in modes:
        raise UnsupportedOp(f"Pad in mode {mode}")
    return imp.build("border_pad", x, None, pads=chosen, mode=modes[mode], dims=len(places))


@handles("Slice")
def slice_(imp, node, ins, a):
    x = ins[0]
    rank = x.shape.rank + 1
    starts, ends = ints(ins[1], "Slice's starts"), ints(ins[2], "Slice's ends")
    axes = ints(ins[3], "Slice's axes") if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
    steps = ints(ins[4], "Slice's steps") if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    out = x
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = int(axis) % rank
        size = imp.batch if axis == 0 else out.shape.dims[axis - 1]
        start, end = _bound(start, size), _bound(end, size)
        if start == 0 and (end == size or end is None):
            continue  # the whole axis
        if step != 1 or axis == 0:
            raise UnsupportedOp("Slice with a step other than 1, or of the batch axis")
        if end is None:
            raise UnsupportedOp("Slice to the end of an axis of symbolic size")
        out = imp.build("slice", out, None, start=start, stop=end, dim=axis)
    return out


def _bound(value, size):
    """A Slice bound as a position from 0, clamped to the axis (None: its end, at a symbolic size)."""
    if isinstance(value, int) and value >= INT_MAX // 2:
        return size
    if isinstance(value, int) and value < 0:
        return size + value
    if isinstance(size, int) and isinstance(value, int):
        return min(value, size)
    return value


@handles("Split")
def split(imp, node, ins, a):
    x = ins[0]
    axis = int(a.get("axis", 0)) % (x.shape.rank + 1)
    if axis == 0:
        raise UnsupportedOp("Split of the batch axis")
    size = x.shape.dims[axis - 1]
    if len(ins) > 1 and ins[1] is not None:
        sizes = ints(ins[1], "Split's sizes")
    elif "split" in a:
        sizes = list(a["split"])
    else:
        if is_symbolic(size):
            raise UnsupportedOp("Split of an axis of symbolic size")
        parts = len(node.output)
        step = -(-size // parts)
        sizes = [min(step, size - s) for s in range(0, size, step)]
    outs, start = [], 0
    base = imp.layer_name()
    for i, n in enumerate(sizes):
        outs.append(imp.build("slice", x, f"{base}.{i}", start=start, stop=start + int(n), dim=axis))
        start += int(n)
    return outs


@handles("Resize", "Upsample")
def resize(imp, node, ins, a):
    x = ins[0]
    n = len(x.shape.spatial)
    mode = a.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    coords = a.get("coordinate_transformation_mode", b"half_pixel")
    coords = coords.decode() if isinstance(coords, bytes) else coords
    kinds = {"nearest": "nearest", "linear": {1: "linear", 2: "bilinear", 3: "trilinear"}.get(n), "cubic": "bicubic"}
    kind = kinds.get(mode)
    if kind is None:
        raise UnsupportedOp(f"Resize in mode {mode}")
    align = None if kind == "nearest" else coords == "align_corners"
    scales_at, sizes_at = (1, None) if node.op_type == "Upsample" else (2, 3)
    sizes = ins[sizes_at] if sizes_at and len(ins) > sizes_at else None
    if sizes is not None and sizes.dims and int(sizes.dims[0]) > 0:
        size = ints(sizes, "Resize's sizes")[-n:]
        return imp.build("upsample", x, None, size=tuple(size), mode=kind, align_corners=align, dims=n)
    scales = ins[scales_at] if len(ins) > scales_at else None
    if scales is None:
        raise UnsupportedOp("Resize without scales or sizes")
    values = [float(s) for s in scales.values().reshape(-1)][-n:]
    return imp.build("upsample", x, None, scale=tuple(values), mode=kind, align_corners=align, dims=n)


@handles("Concat")
def concat(imp, node, ins, a):
    if not all(isinstance(v, Act) for v in ins):
        raise UnsupportedOp("Concat of activations and constants")
    return imp.build("concat", list(ins), None, dim=int(a.get("axis", 1)))


@handles("Add", "Sub", "Mul", "Div")
def arithmetic(imp, node, ins, a):
    x, y = ins[0], ins[1]
    op = node.op_type
    if isinstance(x, Act) and isinstance(y, Act):
        # x - y costs as x + y, x / y as x * y: one operation per element, nothing learned
        return imp.build("add" if op in ("Add", "Sub") else "mul", [x, y], None)
    act, const, swapped = (x, y, False) if isinstance(x, Act) else (y, x, True)
    if not isinstance(act, Act) or not isinstance(const, Const):
        raise UnsupportedOp(f"{op} of two constants the importer could not fold")
    if _elements(const.dims) == 1 and not const.is_param:
        names = {"Add": "add", "Mul": "mul", "Sub": "rsub" if swapped else "sub", "Div": "rdiv" if swapped else "div"}
        return imp.build("scalar", act, None, op=names[op], value=float(number(const, op)))
    return _with_tensor(imp, op, act, const)


def _elements(dims) -> int:
    total = 1
    for d in dims:
        total *= int(d)
    return total


def _with_tensor(imp, op: str, x: Act, const: Const) -> Act:
    """x + P, x * P: a learned scale per channel (a layer scale), else a bias or gain of P's shape; a computed
    constant of more than one value: the constant kind."""
    dims = [int(d) for d in const.dims]
    while dims and dims[0] == 1 and len(dims) > x.shape.rank:
        dims = dims[1:]
    if len(dims) > x.shape.rank or op in ("Sub", "Div") and const.is_param:
        raise UnsupportedOp(f"{op} of an activation and a tensor of shape {tuple(const.dims)}")
    if not const.is_param:
        if op not in ("Add", "Mul"):
            raise UnsupportedOp(f"{op} of an activation and a computed tensor")
        return imp.build("constant", x, None, op=op.lower(), shape=dims)
    channel = x.shape.roles.find("C")
    per_channel = [1] * x.shape.rank
    if channel >= 0:
        per_channel[channel] = x.shape.dims[channel]
    if op == "Mul" and channel >= 0 and _elements(dims) == x.shape.dims[channel] and \
            dims == per_channel[len(per_channel) - len(dims):]:
        return imp.build("scale", x, None, weights=[const])
    return imp.build("bias" if op == "Add" else "gain", x, None, weights=[const], shape=dims,
                     params=_elements(const.dims))


@handles("ReduceMean", "ReduceSum")
def reduce(imp, node, ins, a):
    x = ins[0]
    axes = ints(ins[1], "the axes") if len(ins) > 1 and ins[1] is not None else a.get("axes")
    if axes is None:
        raise UnsupportedOp(f"{node.op_type} over every axis, the batch included")
    rank = x.shape.rank + 1
    kind = "reduce_mean" if node.op_type == "ReduceMean" else "reduce_sum"
    return imp.build(kind, x, None, dim=[int(d) % rank for d in axes], keepdim=bool(a.get("keepdims", 1)))


@handles("Unsqueeze", "Squeeze")
def squeeze(imp, node, ins, a):
    x = ins[0]
    axes = ints(ins[1], "the axes") if len(ins) > 1 and ins[1] is not None else a.get("axes")
    dims = [imp.batch, *x.shape.dims]
    if node.op_type == "Unsqueeze":
        rank = len(dims) + len(axes)
        for axis in sorted(int(v) % rank for v in axes):
            if axis == 0:
                raise UnsupportedOp("Unsqueeze before the batch axis")
            dims.insert(axis, 1)
    else:
        drop = {int(v) % len(dims) for v in axes} if axes is not None else \
            {i for i, d in enumerate(dims) if i and d == 1}
        if 0 in drop:
            raise UnsupportedOp("Squeeze of the batch axis")
        dims = [d for i, d in enumerate(dims) if i not in drop]
    return reshape_to(imp, x, dims)


@handles("Gather")
def gather(imp, node, ins, a):
    x, index = ins[0], ins[1]
    axis = int(a.get("axis", 0)) % (x.shape.rank + 1)
    values = ints(index, "Gather's indices")
    if axis == 0 or len(values) != 1 or index.dims:
        raise UnsupportedOp("Gather other than one position of a sample axis (x[:, i])")
    size = x.shape.dims[axis - 1]
    position = values[0] + size if values[0] < 0 else values[0]
    return imp.build("select", x, None, dim=axis, index=position)


@handles("Expand")
def expand(imp, node, ins, a):
    """Expand of an activation (broadcast to a shape, a view): the expand kind, a size of 1 keeping its axis."""
    x = ins[0]
    sizes = ints(ins[1], "Expand's shape")
    if len(sizes) != x.shape.rank + 1:
        raise UnsupportedOp("Expand that adds axes")
    if sizes[0] != 1 and not _is_batch(imp, sizes[0]):
        raise UnsupportedOp("Expand of the batch axis")
    per = [-1 if s == 1 else s for s in sizes[1:]]
    if all(s == -1 for s in per):
        return x
    return imp.build("expand", x, None, sizes=per)
