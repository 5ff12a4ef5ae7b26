"""Folding the exporters' size arithmetic to constants: Shape of an activation is its sizes (the batch the
file's, the rest the input's, numbers or sympy formulas), and the operators that compute with sizes (Gather,
Unsqueeze, Concat, Cast, Slice, Add, Mul, Div, Range, ...) are evaluated here with numpy, on object arrays
where a size is a formula. Only as far as a Reshape, Resize, Slice or Pad needs its arguments: nothing here
ever touches an activation's values."""

from __future__ import annotations

from .onnx_importer import Act, Const, UnsupportedOp
from .torch_values import registrar

FOLDS: dict = {}


folds = registrar(FOLDS)


def attrs_of(node) -> dict:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def shape_of(imp, value):
    """The sizes of an activation (batch first) or a constant, as an array (object dtype for formulas)."""
    import numpy as np

    if isinstance(value, Act):
        return _array([imp.batch, *value.shape.dims])
    return np.asarray(value.values().shape, dtype=np.int64)


def _array(items):
    import numpy as np

    plain = [int(i) if getattr(i, "is_Integer", False) else i for i in items]
    if all(isinstance(i, int) for i in plain):
        return np.asarray(plain, dtype=np.int64)
    out = np.empty(len(plain), dtype=object)
    out[:] = plain
    return out


def fold(imp, node, ins) -> list:
    """The node's outputs, each a Const, from constant inputs (and Shape of an activation)."""
    fn = FOLDS.get(node.op_type)
    if fn is None:
        raise UnsupportedOp(node.op_type)
    sources = tuple(s for v in ins if isinstance(v, Const) for s in v.sources)
    if ins and isinstance(ins[0], Const) and ins[0].is_param and node.op_type in PARAM_VIEWS:
        return [Const(_param_dims(imp, node, ins, attrs_of(node)), None, None, sources)]
    values = [None if v is None else (v if isinstance(v, Act) else v.values()) for v in ins]
    outs = fn(imp, values, attrs_of(node))
    outs = [_as_array(o) for o in (outs if isinstance(outs, list) else [outs])]
    return [Const(tuple(_dims(o)), None, o, sources) for o in outs]


PARAM_VIEWS = ("Identity", "Cast", "Transpose", "Unsqueeze", "Squeeze", "Reshape")


def _param_dims(imp, node, ins, a) -> tuple:
    """The dims of a parameter viewed anew (a Linear's weight transposed for MatMul), its values never read."""
    dims = [int(d) for d in ins[0].dims]
    op = node.op_type
    if op == "Transpose":
        perm = a.get("perm") or list(range(len(dims)))[::-1]
        return tuple(dims[p] for p in perm)
    axes = [int(x) for x in ins[1].values()] if len(ins) > 1 and ins[1] is not None else a.get("axes")
    if op == "Unsqueeze":
        for axis in sorted(x % (len(dims) + len(axes)) for x in axes):
            dims.insert(axis, 1)
    elif op == "Squeeze":
        drop = {x % len(dims) for x in axes} if axes is not None else {i for i, d in enumerate(dims) if d == 1}
        dims = [d for i, d in enumerate(dims) if i not in drop]
    elif op == "Reshape":
        sizes = [dims[i] if s == 0 else int(s) for i, s in enumerate(ins[1].values())]
        if -1 in sizes:
            known = _product(s for s in sizes if s != -1)
            sizes[sizes.index(-1)] = _product(dims) // known
        dims = sizes
    return tuple(dims)


def _product(values) -> int:
    total = 1
    for v in values:
        total *= int(v)
    return total


def _as_array(value):
    """A fold's result as an array: a plain number as int64/float, a formula as a 0-d object array."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (int, float, np.generic)):
        return np.asarray(value)
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def _dims(o):
    import numpy as np

    return np.shape(o)


@folds("Shape")
def _shape(imp, v, a):
    sizes = shape_of(imp, v[0]) if isinstance(v[0], Act) else _array(list(v[0].shape))
    start, end = a.get("start", 0), a.get("end", None)
    return sizes[start:end]


@folds("Size")
def _size(imp, v, a):
    import numpy as np

    return np.asarray(int(np.prod(v[0].shape)), dtype=np.int64)


@folds("Constant")
def _constant(imp, v, a):
    import numpy as np
    from onnx import numpy_helper

    if "value" in a:
        return np.asarray(numpy_helper.to_array(a["value"]))
    for key, dtype in (("value_int", np.int64), ("value_ints", np.int64), ("value_float", np.float32),
                       ("value_floats", np.float32)):
        if key in a:
            return np.asarray(a[key], dtype=dtype)
    raise UnsupportedOp("Constant of a kind other than a tensor or numbers")


@folds("ConstantOfShape")
def _constant_of_shape(imp, v, a):
    import numpy as np
    from onnx import numpy_helper

    fill = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
    return np.full([int(d) for d in v[0]], fill.reshape(-1)[0], dtype=fill.dtype)


@folds("Identity")
def _identity(imp, v, a):
    return v[0]


@folds("Cast")
def _cast(imp, v, a):
    import numpy as np
    from onnx import helper

    target = helper.tensor_dtype_to_np_dtype(a["to"])
    if v[0].dtype == object:  # a formula stays one; a float one rounds when cast to an integer
        return v[0] if np.issubdtype(target, np.floating) else _map(v[0], _int_of)
    return v[0].astype(target)


def _int_of(value):
    import sympy

    return sympy.floor(value) if isinstance(value, sympy.Basic) and not value.is_integer else value


def _map(array, fn):
    import numpy as np

    out = np.empty(array.shape, dtype=object)
    for index, value in np.ndenumerate(array):
        out[index] = fn(value)
    return out


@folds("Gather")
def _gather(imp, v, a):
    import numpy as np

    return np.take(v[0], np.asarray(v[1]).astype(np.int64), axis=a.get("axis", 0))


@folds("Unsqueeze")
def _unsqueeze(imp, v, a):
    import numpy as np

    axes = list(v[1]) if len(v) > 1 and v[1] is not None else a["axes"]
    out = v[0]
    rank = np.ndim(out) + len(axes)
    for axis in sorted(int(x) % rank for x in axes):
        out = np.expand_dims(out, axis)
    return out


@folds("Squeeze")
def _squeeze(imp, v, a):
    import numpy as np

    axes = list(v[1]) if len(v) > 1 and v[1] is not None else a.get("axes")
    return np.squeeze(v[0], axis=None if axes is None else tuple(int(x) for x in axes))


@folds("Concat")
def _concat(imp, v, a):
    import numpy as np

    parts = [np.atleast_1d(p) for p in v]
    dtype = object if any(p.dtype == object for p in parts) else None
    return np.concatenate([p.astype(object) if dtype else p for p in parts], axis=a.get("axis", 0))


@folds("Reshape")
def _reshape(imp, v, a):
    sizes = [int(s) for s in v[1]]
    sizes = [v[0].shape[i] if s == 0 and not a.get("allowzero", 0) else s for i, s in enumerate(sizes)]
    return v[0].reshape(sizes)


@folds("Slice")
def _slice(imp, v, a):
    import numpy as np

    data = v[0]
    starts, ends = [int(s) for s in v[1]], [int(e) for e in v[2]]
    axes = [int(x) for x in v[3]] if len(v) > 3 and v[3] is not None else list(range(len(starts)))
    steps = [int(s) for s in v[4]] if len(v) > 4 and v[4] is not None else [1] * len(starts)
    index = [slice(None)] * np.ndim(data)
    for s, e, ax, st in zip(starts, ends, axes, steps):
        index[ax] = slice(s, e, st)
    return data[tuple(index)]


def _binary(fn):
    def fold_it(imp, v, a):
        import numpy as np

        x, y = v[0], v[1]
        if x.dtype == object or y.dtype == object:
            x, y = np.asarray(x, dtype=object), np.asarray(y, dtype=object)
        return np.asarray(fn(x, y))
    return fold_it


def _divide(x, y):
    import numpy as np

    if x.dtype == object or np.issubdtype(x.dtype, np.integer) and np.issubdtype(y.dtype, np.integer):
        if x.dtype == object and not all(_integral(i) for i in np.ravel(x)):
            return x / y
        return x // y  # ONNX's integer Div truncates; sizes are positive, so floor is the same
    return x / y


def _integral(value) -> bool:
    return isinstance(value, int) or bool(getattr(value, "is_integer", False)) or hasattr(value, "dtype") \
        and value.dtype.kind in "iu"


for _op, _fn in (("Add", lambda x, y: x + y), ("Sub", lambda x, y: x - y), ("Mul", lambda x, y: x * y),
                 ("Div", _divide), ("Equal", lambda x, y: x == y), ("Less", lambda x, y: x < y),
                 ("Greater", lambda x, y: x > y), ("Max", lambda x, y: np_max(x, y)),
                 ("Min", lambda x, y: np_min(x, y))):
    FOLDS[_op] = _binary(_fn)


def np_max(x, y):
    import numpy as np

    return np.maximum(x, y)


def np_min(x, y):
    import numpy as np

    return np.minimum(x, y)


@folds("Where")
def _where(imp, v, a):
    import numpy as np

    return np.where(v[0].astype(bool), v[1], v[2])


@folds("Not")
def _not(imp, v, a):
    import numpy as np

    return np.logical_not(v[0])


@folds("Range")
def _range(imp, v, a):
    import numpy as np

    return np.arange(v[0].item(), v[1].item(), v[2].item(), dtype=v[0].dtype)


@folds("Expand")
def _expand(imp, v, a):
    import numpy as np

    return v[0] * np.ones([int(s) for s in v[1]], dtype=v[0].dtype)


def _rounding(name):
    def fold_it(imp, v, a):
        import numpy as np

        if v[0].dtype == object:
            import sympy

            fn = {"Floor": sympy.floor, "Ceil": sympy.ceiling, "Sqrt": sympy.sqrt}[name]
            return _map(v[0], fn)
        return {"Floor": np.floor, "Ceil": np.ceil, "Sqrt": np.sqrt}[name](v[0])
    return fold_it


for _op in ("Floor", "Ceil", "Sqrt"):
    FOLDS[_op] = _rounding(_op)


@folds("Transpose")
def _transpose(imp, v, a):
    import numpy as np

    return np.transpose(v[0], a.get("perm"))
