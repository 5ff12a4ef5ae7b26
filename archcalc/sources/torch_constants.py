"""The importer's constant tables: tensors a model builds each forward from sizes alone, with no batch axis and
no parameter in them (a rotary embedding's sin and cos tables from torch.arange of the grid, timm's
_build_grid, a frequency buffer fx froze while tracing as `_tensor_constant`), and where they meet the
activations (x * cos + rotate_half(x) * sin: the `constant` kind).

A Constant is known by its shape only: each operation on constants (arange, sin, cos, div, clamp, repeat,
repeat_interleave, stack, cat, indexing ...) is run by torch itself on meta tensors of those shapes, so every
torch function reads its own arguments; nothing becomes a layer. Building a table costs no MACs (torch's
FlopCounterMode counts none) and archcalc counts no other ops for it either: it does not grow with the batch,
and the report is per sample. Its meeting with an activation is one op per element (the `constant` kind). A
table whose size is a formula (a symbolic input) is refused: torch cannot size it.

A table made from parameters (ROPE-Mixed's learned frequencies times a position table, then sin and cos), or
by a Linear or convolution run on a table (XCiT's Fourier encoding projected by a 1x1 conv, once per forward:
its MACs join the graph's once-per-forward MACs, as torch_param_modules does for a module on parameters), is
sized the same way and becomes a TableParam: the layer that first uses it counts its parameters. A table of
one sample repeated or viewed to the batch (pos.repeat(B, 1, 1, 1)) is the same table for every sample.
A table created with the batch axis (EdgeNeXt's torch.zeros(B, H, W)) is built by torch once per sample:
torch_batch_tables keeps it per sample, and a module run on it counts per sample, on a `batch_table` layer.

Also here, because timm's rotary attention needs them on activations: -x (a scalar multiply by -1), a slice
of step k (x[..., 1::2]: the same view as a reshape to (n/k, k) and a select), an empty slice (q[:, :, :0]
when there are no prefix tokens, dropped by the torch.cat that follows), and k.repeat_interleave(r, dim)
(grouped-query attention: a copy, as r copies joined along a new axis and merged).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.shape import is_symbolic, to_plain
from .torch_functions import FUNCTIONS, METHODS, function_key
from .torch_modules import MODULES
from .torch_params import Attribute
from .torch_values import BATCH, Param, Tensor, UnsupportedOp


@dataclass(frozen=True)
class Constant:
    """A tensor computed from sizes and numbers alone: torch's full shape (it has no batch axis), and its dtype
    (an index table is int64: a parameter indexed by it, MViT-v2's rel_pos_h[dist.long()], needs to know)."""

    shape: tuple
    dtype: str = "float32"


JOINS = {"operator.add": "add", "operator.iadd": "add", "torch.add": "add", "operator.mul": "mul",
         "operator.imul": "mul", "torch.mul": "mul", "add": "add", "mul": "mul", "add_": "add", "mul_": "mul"}
NEW_FUNCTIONS = ("torch.arange", "torch.linspace", "torch.zeros", "torch.ones", "torch.full", "torch.meshgrid",
                 "torch.sin", "torch.cos", "torch.exp", "torch.log", "torch.sqrt", "torch.ceil", "torch.floor",
                 "torch.round", "torch.clamp", "torch.outer", "torch.pow", "torch.max", "torch.min",
                 "torch.repeat_interleave", "torch.tensor_split", "torch.stack", "torch.div", "torch.neg",
                 "torch.sub", "torch.floor_divide", "torch.cumsum", "operator.invert", "timm._build_grid",
                 "timm.ndgrid", "timm.meshgrid", "timm.get_mixed_grid")
NEW_METHODS = ("sin", "cos", "exp", "log", "sqrt", "ceil", "floor", "round", "clamp", "repeat", "repeat_interleave",
               "max", "min", "tensor_split", "long", "int", "float", "double", "pow", "neg", "outer", "div", "sub",
               "unflatten", "type", "t", "new_tensor", "to", "cumsum")
BATCH_VIEWS = ("repeat", "expand", "reshape", "view")
# what a table made from parameters (learned rotary frequencies: ROPE-Mixed) may go through, its shape read
# from torch; the parameters stay its sources, counted once by the first layer that uses the table
TABLE_OPS = ("torch.sin", "torch.cos", "sin", "cos", "repeat_interleave", "torch.repeat_interleave", "chunk",
             "torch.chunk", "tensor_split", "torch.cat", "torch.stack")


def _flat(value):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _flat(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flat(v)
    else:
        yield value


from .torch_batch_tables import SampleTable, batch_sized, per_sample_tables, table_layer  # noqa: E402  (needs Constant)


def _meta(value, batch=None):
    """An argument as torch takes it: constants and parameters as meta tensors of their shapes; the batch size
    as `batch` where a table of one sample is repeated or viewed to the batch (else refused)."""
    import torch

    if value is BATCH and batch is not None:
        return batch
    if isinstance(value, (Constant, Param)):
        if any(is_symbolic(d) for d in value.shape):
            raise UnsupportedOp("a constant table whose size is a formula (a symbolic input size)")
        dtype = getattr(torch, getattr(value, "dtype", "float32"))
        return torch.empty(tuple(int(d) for d in value.shape), device="meta", dtype=dtype)
    if isinstance(value, Attribute):
        return torch.device("meta") if value.what == "device" else torch.float32
    if isinstance(value, (list, tuple)):
        return type(value)(_meta(v, batch) for v in value)
    if isinstance(value, dict):
        return {k: _meta(v, batch) for k, v in value.items()}
    if value is BATCH:
        raise UnsupportedOp("a constant table sized by the batch")
    if is_symbolic(value):
        raise UnsupportedOp("a constant table whose size is a formula (a symbolic input size)")
    return value


class TableParam(Param):
    """A table made from parameters and a constant table (a module run on a position table, XCiT's Fourier
    encoding projected by a 1x1 conv): a Param (the layer it meets counts its parameters, once), which may
    also be repeated or viewed to the batch as a Constant may."""

    def derived(self, shape, *others) -> "TableParam":
        p = Param.derived(self, shape, *others)
        return TableParam(p.name, p.shape, p.numel, p.trainable, p.is_buffer, p.parts)


def _value(out, params: list):
    """torch's result as the importer's value: a Constant (or a Param-derived table), sizes, a number."""
    import torch

    if isinstance(out, torch.Tensor):
        shape = tuple(int(d) for d in out.shape)
        if not params:
            return Constant(shape, str(out.dtype).replace("torch.", ""))
        first = params[0] if isinstance(params[0], TableParam) else TableParam(*_fields(params[0]))
        return first.derived(shape, *params[1:])
    if isinstance(out, torch.Size):
        return tuple(int(d) for d in out)
    if isinstance(out, torch.device):
        return Attribute("device")
    if isinstance(out, (list, tuple)):
        return type(out)(_value(o, params) for o in out) if not hasattr(out, "_fields") else \
            tuple(_value(o, params) for o in out)
    return out


def _fields(p: Param) -> tuple:
    return p.name, p.shape, p.numel, p.trainable, p.is_buffer, p.parts


def evaluate(imp, args, kwargs):
    """Run the node's own function on meta tensors of the constants' (and parameters') shapes. A table of one
    sample (first size 1) repeated, expanded or viewed to the batch (XCiT's pos.repeat(B, 1, 1, 1), then
    .reshape(B, -1, N)) is the same table for every sample: read at a batch of 1, its first size stays 1."""
    node = imp.node
    per_sample = batch_sized(imp, args) or any(isinstance(v, SampleTable) for v in _flat((args, kwargs)))
    one = per_sample or node.op == "call_method" and node.target in BATCH_VIEWS and \
        isinstance(args[0], (Constant, TableParam)) and len(args[0].shape) > 0 and args[0].shape[0] == 1
    margs, mkwargs = _meta(args, 1 if one else None), _meta(kwargs, 1 if one else None)
    if _name(node) == "operator.invert":  # ~mask: a table knows its shape only (read as float), ~ needs bool
        margs = tuple(m.bool() if hasattr(m, "bool") else m for m in margs)
    try:
        out = getattr(margs[0], node.target)(*margs[1:], **mkwargs) if node.op == "call_method" else \
            node.target(*margs, **mkwargs)
    except UnsupportedOp:
        raise
    except Exception as err:  # torch's own refusal (a value-dependent op on meta): loud, with torch's words
        raise UnsupportedOp(f"{_name(node)} of a constant table ({type(err).__name__}: {str(err)[:80]})") from None
    value = _value(out, [p for p in _flat((args, kwargs)) if isinstance(p, Param)])
    return per_sample_tables(value) if per_sample else value


def _name(node) -> str:
    return f".{node.target}()" if node.op == "call_method" else function_key(node.target)


def meet(imp, key: str, args, kwargs):
    """An activation joined to a constant table: x + C or x * C (the constant kind); anything else refused."""
    values = [v for v in list(args) + list(kwargs.values())]
    kind = JOINS.get(key)
    tensors = [v for v in values if isinstance(v, Tensor)]
    tables = [v for v in values if isinstance(v, Constant)]
    if kind is None or len(tensors) != 1 or len(tables) != 1 or len(values) > 2 and kwargs.get("alpha", 1) != 1:
        raise UnsupportedOp(f"{key} of an activation and a constant table")
    x, c = tensors[0], tables[0]
    dims = tuple(c.shape)
    while dims and dims[0] == 1 and len(dims) > x.shape.rank:
        dims = dims[1:]
    if len(dims) > x.shape.rank - (imp.fold(x) if _folded(imp, x) else 0):
        raise UnsupportedOp(f"a constant table of shape {tuple(c.shape)} across the batch axis")
    return imp.build("constant", x, None, op=kind, shape=list(dims))


def _table_op(key: str, args) -> bool:
    """Whether a table made from parameters may go through this operation (its shape read from torch)."""
    return key in TABLE_OPS or key in BATCH_VIEWS and bool(args) and isinstance(args[0], TableParam)


def _wrap(key: str, previous, is_method: bool):
    def handler(imp, args, kwargs):
        values = list(_flat((args, kwargs)))
        if any(isinstance(v, Constant) for v in values):
            if any(isinstance(v, Tensor) for v in values):
                return meet(imp, key, args, kwargs)
            return evaluate(imp, args, kwargs)
        table = any(isinstance(v, Param) for v in values) and not any(isinstance(v, Tensor) for v in values)
        if previous is not None:
            try:
                return previous(imp, args, kwargs)
            except UnsupportedOp:
                if not (table and _table_op(key, args)):
                    raise
                return evaluate(imp, args, kwargs)  # a learned rotary table cut up: its shape from torch
        if any(isinstance(v, Tensor) for v in values):
            raise UnsupportedOp(f"tensor method .{key}() of an activation" if is_method else
                                f"function {key} of an activation")
        if table and not _table_op(key, args):
            raise UnsupportedOp(f"{'tensor method .' + key + '()' if is_method else key} of a parameter")
        return evaluate(imp, args, kwargs)  # a table from sizes alone: torch.arange(H), _build_grid((H, W))
    return handler


def _negate(previous):
    """-x of an activation: a scalar multiply by -1 (one op per element)."""
    def handler(imp, args, kwargs):
        if len(args) == 1 and isinstance(args[0], Tensor):
            return imp.build("scalar", args[0], None, op="mul", value=-1.0)
        if previous is None:
            raise UnsupportedOp("negation of a parameter")
        return previous(imp, args, kwargs)
    return handler


@dataclass(frozen=True)
class Empty:
    """x[:, :, :0]: no elements (timm's rotary attention with no prefix tokens cuts them off before rotating
    the rest). Only a torch.cat may take it, where it adds nothing."""

    what: str


def _index(previous):
    """x[..., a::k] of an activation (rotary's every-other channel): that view is x reshaped to (n/k, k) along
    the axis, then position a selected; an empty slice: Empty; other indexing as before."""
    def handler(imp, args, kwargs):
        obj, index = args
        if not isinstance(obj, Tensor):
            return previous(imp, args, kwargs)
        items = tuple(_plain(i) for i in (index if isinstance(index, tuple) else (index,)))
        args = (obj, items if isinstance(index, tuple) else items[0])
        strided = any(isinstance(i, slice) and i.step not in (None, 1) for i in items)
        if _folded(imp, obj) and strided:
            raise UnsupportedOp("a slice of step > 1 of a tensor with axes folded into the batch")
        if not _folded(imp, obj) and _empty(obj, items):
            return Empty("an empty slice")
        if not strided:
            return previous(imp, args, kwargs)
        return _take_strided(imp, obj, items)
    return handler


def _folded(imp, x: Tensor) -> bool:
    """Whether the model sees some of x's per-sample axes inside its batch axis (windows: torch_folding):
    the views here count torch's axes as the batch and the sample's, so they refuse such a tensor."""
    fold = getattr(imp, "fold", None)
    return bool(fold and fold(x))


def _plain(item):
    """A slice whose ends are sizes the shape rules computed (sympy whole numbers: a crop x[..., :H, :W]) with
    Python ints for ends."""
    if isinstance(item, slice):
        return slice(to_plain(item.start), to_plain(item.stop), to_plain(item.step))
    return item


def _empty(x: Tensor, items: tuple) -> bool:
    """Whether a slice of step 1 (no Ellipsis, no None) takes no position of a known-size axis."""
    if Ellipsis in items or any(i is None for i in items):
        return False
    for item, size in zip(items[1:], x.shape.dims):
        if isinstance(item, slice) and item.step in (None, 1) and not is_symbolic(size) and \
                all(v is None or isinstance(v, int) for v in (item.start, item.stop)):
            start, stop, _ = item.indices(int(size))
            if stop <= start:
                return True
    return False


def _cat(previous):
    """torch.cat with empty parts: the others alone (one part left: that tensor, no copy counted)."""
    def handler(imp, args, kwargs):
        parts = args[0] if args else kwargs.get("tensors")
        if isinstance(parts, (list, tuple)) and any(isinstance(p, Empty) for p in parts):
            rest = [p for p in parts if not isinstance(p, Empty)]
            if len(rest) == 1 and isinstance(rest[0], Tensor):
                return rest[0]
            args = (rest, *args[1:]) if args else args
            kwargs = kwargs if args else {**kwargs, "tensors": rest}
        return previous(imp, args, kwargs)
    return handler


def _repeat_interleave(previous):
    """k.repeat_interleave(r, dim) of an activation (grouped-query attention's shared heads): each slice along
    dim copied r times in place, as a unit axis added after dim, r copies joined along it, and the two axes
    merged: a copy of r times the elements, no arithmetic."""
    def handler(imp, args, kwargs):
        x = args[0]
        repeats, dim = (list(args[1:]) + [None, None])[:2]
        repeats, dim = kwargs.get("repeats", repeats), kwargs.get("dim", dim)
        if not isinstance(x, Tensor):
            return previous(imp, args, kwargs)
        if _folded(imp, x):
            raise UnsupportedOp(".repeat_interleave() of a tensor with axes folded into the batch")
        if not isinstance(repeats, int) or isinstance(repeats, bool) or not isinstance(dim, int):
            raise UnsupportedOp(".repeat_interleave() of an activation with repeats per element or no dim")
        rank = x.shape.rank + 1
        dim %= rank
        if dim == 0:  # GCViT's global query, one per window of its sample: k copies folded into the batch
            unit = imp.reshape(x, [BATCH, 1, *x.shape.dims])
            return imp.set_fold(imp.build("concat", [unit] * repeats, None, dim=1) if repeats > 1 else unit, 1)
        dims = list(x.shape.dims)
        unit = imp.reshape(x, [BATCH, *dims[:dim], 1, *dims[dim:]])
        copies = imp.build("concat", [unit] * repeats, None, dim=dim + 1) if repeats > 1 else unit
        return imp.reshape(copies, [BATCH, *dims[:dim - 1], dims[dim - 1] * repeats, *dims[dim:]])
    return handler


def _take_strided(imp, x: Tensor, items: tuple) -> Tensor:
    rank = x.shape.rank + 1
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + (slice(None),) * (rank - (len(items) - 1)) + items[at + 1:]
    items = items + (slice(None),) * (rank - len(items))
    if any(not isinstance(i, slice) for i in items):
        raise UnsupportedOp("a slice of step > 1 beside an integer index")
    plain = tuple(i if i.step in (None, 1) else slice(None) for i in items)
    out = imp.index(x, plain) if plain != (slice(None),) * rank else x
    for dim in reversed(range(1, rank)):
        item = items[dim]
        if item.step in (None, 1):
            continue
        size, step, start = out.shape.dims[dim - 1], item.step, item.start or 0
        if is_symbolic(size) or step < 1 or size % step and start or item.stop not in (None, size) or \
                not 0 <= start < step:
            raise UnsupportedOp(f"a slice {start}::{step} of an axis of {size}")
        if size % step:  # LeViT's x[:, ::2, ::2] of 7 x 7: padded at the end to whole steps (a copy), as read
            out = imp.pad(out, (0, 0) * (out.shape.rank - dim) + (0, step - size % step), 0.0, None)
            size = out.shape.dims[dim - 1]
        dims = list(out.shape.dims)
        out = imp.reshape(out, [BATCH, *dims[:dim - 1], size // step, step, *dims[dim:]])
        out = imp.build("select", out, None, dim=dim + 1, index=start)
    return out


def _module_on_table(previous):
    """A Linear or a convolution run on a constant table (XCiT's 1x1 conv projecting its Fourier position
    encoding): once per forward, whatever the batch, as a module on parameters alone (torch_param_modules):
    its MACs go to the graph's once-per-forward MACs, its result is a TableParam made of its weights."""
    def handler(imp, m, args, kwargs, layer_name):
        x = args[0] if args else None
        if isinstance(x, SampleTable):
            return previous(imp, m, [table_layer(imp, x), *args[1:]], kwargs, layer_name)
        if not isinstance(x, Constant):
            return previous(imp, m, args, kwargs, layer_name)
        import torch

        from .torch_param_modules import add_param_macs

        weight = torch.empty(tuple(m.weight.shape), device="meta")
        table = torch.empty(_meta(x).shape, device="meta")
        if type(m).__name__ == "Linear":
            out = torch.nn.functional.linear(table, weight)
            per_output = m.in_features
        else:
            conv = getattr(torch.nn.functional, f"conv{len(m.kernel_size)}d")
            out = conv(table, weight, None, m.stride, m.padding, m.dilation, m.groups)
            per_output = int(m.weight[0].numel())  # in_channels / groups x the kernel
        add_param_macs(imp, imp.node.target, int(out.numel()) * per_output)
        path = imp.node.target
        own = [Param(f"{path}.{a}", tuple(t.shape), t.numel(), bool(t.requires_grad), False)
               for a, t in (("weight", m.weight), ("bias", m.bias)) if t is not None]
        return TableParam(*_fields(own[0])).derived(tuple(int(d) for d in out.shape), *own[1:])
    return handler


def register() -> None:
    for key in list(FUNCTIONS):
        FUNCTIONS[key] = _wrap(key, FUNCTIONS[key], False)
    for name in list(METHODS):
        METHODS[name] = _wrap(name, METHODS[name], True)
    for key in NEW_FUNCTIONS:
        FUNCTIONS.setdefault(key, _wrap(key, None, False))
    for name in NEW_METHODS:
        METHODS.setdefault(name, _wrap(name, None, True))
    for key in ("operator.neg", "torch.neg"):
        FUNCTIONS[key] = _wrap(key, _negate(FUNCTIONS.get(key)), False)
    METHODS["neg"] = _wrap("neg", _negate(METHODS.get("neg")), True)
    FUNCTIONS["operator.getitem"] = _wrap("operator.getitem", _index(FUNCTIONS["operator.getitem"]), False)
    for key in ("torch.cat", "torch.concat", "torch.concatenate"):
        FUNCTIONS[key] = _cat(FUNCTIONS[key])
    for name in ("Linear", "Conv1d", "Conv2d", "Conv3d"):
        MODULES[name] = _module_on_table(MODULES[name])
    METHODS["repeat_interleave"] = _wrap("repeat_interleave", _repeat_interleave(METHODS["repeat_interleave"]), True)


register()
