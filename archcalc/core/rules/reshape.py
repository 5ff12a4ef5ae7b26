"""Rules for the views that lay a tensor out anew: `reshape` (view), `flatten`, `permute` and `transpose` and
`select` (one position of an axis, the axis removed: a ViT's class token, one part of torch.unbind).

None computes anything. Each is a view of its input, except a reshape or flatten of a permuted (not
contiguous) tensor, which torch copies: then it writes a new tensor and moves bytes.

Roles follow the axes (core/shape.py): a reshape is read as groups of input axes that become groups of
output axes (equal products). A group that holds the channels gives the channel role to its last output
axis (heads x head width: the width keeps it); spatial axes flattened together become one token axis; a
token axis split apart becomes spatial axes again. The receptive field, measured along the input's
spatial axes, is unchanged, except that spatial positions merged into channels leave every element seeing
the whole input (a flatten before a classifier), and a permute that reorders spatial axes reorders it.
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import Contiguous, Flatten, Permute, Reshape, Select, Transpose
from ..receptive import RF, whole
from ..shape import CHANNELS, OTHER, SPATIAL, TOKENS, Shape, fmt_dim, is_symbolic, product, to_plain
from ..strides import normalise, row_major, sample_stride_of, view_strides
from . import NO_PARAMS, ShapeOut, flags, rule
from .broadcast import same_dim
from .passthrough import no_macs, no_ops
from .saved import Saved

VIEWS = ("flatten", "reshape", "permute", "transpose", "select", "contiguous")

# views: no arithmetic, no memory of their own, nothing moved (a reshape that copies says so by its memory)
flags(VIEWS, weighted=False, moves_bytes=False, any_layout=True)
rule(VIEWS, "params")(lambda a, ins: NO_PARAMS)
rule(VIEWS, "macs")(no_macs)
rule(VIEWS, "other_ops")(no_ops)


def flat_rf(a, in_rfs, ins):
    """Every element of a flat output sees the whole input (linear on a flat input)."""
    rf = in_rfs[0]
    return whole(rf), None


# --- roles through a reshape ----------------------------------------------------------------------------
def groups(in_dims: tuple, out_dims: tuple) -> list:
    """Pairs (input axes, output axes) whose sizes have equal products, in order: (6, 4) -> (6, 2, 2) is
    [((0,), (0,)), ((1,), (1, 2))]. A size-1 axis on one side only is a group of its own: ((), (j,)) for
    an axis added (an unsqueeze), ((i,), ()) for one dropped."""
    found, i, j, n, m = [], 0, 0, len(in_dims), len(out_dims)
    while i < n or j < m:
        one_in = i < n and same_dim(in_dims[i], 1)
        one_out = j < m and same_dim(out_dims[j], 1)
        if one_out and not one_in:
            found.append(((), (j,)))
            j += 1
            continue
        if one_in and not one_out:
            found.append(((i,), ()))
            i += 1
            continue
        gi, gj, p_in, p_out = [], [], 1, 1
        if i < n:
            gi, p_in, i = [i], in_dims[i], i + 1
        if j < m:
            gj, p_out, j = [j], out_dims[j], j + 1
        while not same_dim(p_in, p_out) and (i < n or j < m):
            if j >= m or (i < n and _smaller(p_in, p_out)):
                gi.append(i)
                p_in, i = p_in * in_dims[i], i + 1
            else:
                gj.append(j)
                p_out, j = p_out * out_dims[j], j + 1
        found.append((tuple(gi), tuple(gj)))
    return found


def _smaller(a, b) -> bool:
    """a < b for sizes, symbolic ones by their difference (unknown: False)."""
    if not is_symbolic(a) and not is_symbolic(b):
        return to_plain(a) < to_plain(b)
    return bool((b - a).is_positive)


def _merged_role(roles: str) -> str:
    """The role of one axis made of axes with these roles."""
    if CHANNELS in roles:
        return CHANNELS
    places = sum(r in (SPATIAL, TOKENS) for r in roles)
    if places > 1 or TOKENS in roles:
        return TOKENS
    return SPATIAL if places else OTHER


def group_roles(x: Shape, out_dims: tuple) -> tuple:
    """(the output's roles, whether spatial positions were merged into channels or other axes)."""
    roles, lost, seen_channels = [OTHER] * len(out_dims), False, False
    for gi, gj in groups(x.dims, out_dims):
        if not gi:  # a unit axis added: spatial after the channels (C -> Cx1x1, a gate), else other
            roles[gj[0]] = SPATIAL if seen_channels else OTHER
            continue
        kept = "".join(x.roles[i] for i in gi)
        role = _merged_role(kept)
        lost = lost or (role in (CHANNELS, OTHER) and any(r in (SPATIAL, TOKENS) for r in kept))
        if role == TOKENS and len(gj) > 1:  # tokens split back into a grid
            role = SPATIAL
        for j in gj:
            roles[j] = OTHER if role == CHANNELS else role
        if role == CHANNELS and gj:
            roles[gj[-1]] = CHANNELS  # the innermost part keeps the channel role (heads x width: the width)
            seen_channels = True
    return "".join(roles), lost


def _resolve_sizes(x: Shape, sizes: tuple) -> tuple:
    """The sizes with -1 filled in; ShapeError when the element counts differ."""
    if sizes.count(-1) > 1:
        raise ShapeError(f"reshape to {list(sizes)}: only one size may be -1")
    known = product(s for s in sizes if s != -1)
    if -1 in sizes:
        rest = x.elements / known if is_symbolic(x.elements) else None
        if rest is None:
            if x.elements % known:
                raise ShapeError(f"reshape of {x} ({fmt_dim(x.elements)} elements) to {list(sizes)}: "
                                 f"{fmt_dim(x.elements)} does not divide by {fmt_dim(known)}")
            rest = x.elements // known
        sizes = tuple(to_plain(rest) if s == -1 else s for s in sizes)
    total = product(sizes)
    if not same_dim(total, x.elements):
        raise ShapeError(f"reshape of {x} ({fmt_dim(x.elements)} elements) to "
                         f"{'x'.join(fmt_dim(s) for s in sizes)} ({fmt_dim(total)} elements): the element counts "
                         "differ")
    return sizes


def copies(x: Shape, sizes: tuple) -> bool:
    """Whether torch's reshape of x to `sizes` copies: no strides make it a view of a permuted input."""
    return view_strides(x.dims, x.strides, sizes) is None


def _reshaped(x: Shape, sizes: tuple, text: str) -> ShapeOut:
    roles, _ = group_roles(x, sizes)
    strides = view_strides(x.dims, x.strides, sizes)
    out = Shape(dims=sizes, roles=roles, strides=normalise(sizes, strides),
                sample_stride=None if strides is None else x.sample_stride)
    how = "a view" if strides is not None else "a copy (the input is permuted: no strides make it a view)"
    return ShapeOut(out, f"{text} -> {out}, {how}")


@rule("reshape", "shape")
def reshape_shape(a: Reshape, ins):
    """Output: `sizes` (one -1 inferred); the element count must not change."""
    (x,) = ins
    sizes = _resolve_sizes(x, tuple(a.sizes))
    shaped = _reshaped(x, sizes, f"{x}")
    if not a.roles:
        return shaped
    if len(a.roles) != len(sizes) or a.roles.count(CHANNELS) > 1 or \
            set(a.roles) - {CHANNELS, SPATIAL, TOKENS, OTHER}:
        raise ShapeError(f"reshape roles {a.roles!r} must name each of the {len(sizes)} axes, at most one channels")
    out = shaped.shape
    out = Shape(dims=out.dims, roles=a.roles, strides=out.strides, sample_stride=out.sample_stride)
    return ShapeOut(out, f"{shaped.derivation}, read as {out.layout()}")


def _flat_range(a: Flatten, x: Shape) -> tuple:
    start, end = x.axis(a.start, "flatten start"), x.axis(a.end, "flatten end")
    if start > end:
        raise ShapeError(f"flatten from axis {a.start} to {a.end} of {x}: the start comes after the end")
    return start, end


@rule("flatten", "shape")
def flatten_shape(a: Flatten, ins):
    """Output: axes start..end laid out as one (the whole sample by default: one vector of C x H x W)."""
    (x,) = ins
    start, end = _flat_range(a, x)
    merged = product(x.dims[start:end + 1])
    sizes = (*x.dims[:start], merged, *x.dims[end + 1:])
    if not x.contiguous:
        return _reshaped(x, sizes, f"{x}")
    roles, _ = group_roles(x, sizes)
    return ShapeOut(Shape(dims=sizes, roles=roles), f"{x} -> {'x'.join(fmt_dim(d) for d in sizes)}")


def _flat_sizes(a: Flatten, x: Shape) -> tuple:
    start, end = _flat_range(a, x)
    return (*x.dims[:start], product(x.dims[start:end + 1]), *x.dims[end + 1:])


def _new_sizes(a, x: Shape) -> tuple:
    return _flat_sizes(a, x) if isinstance(a, Flatten) else _resolve_sizes(x, tuple(a.sizes))


def _order(a, x: Shape) -> tuple:
    """The permutation, each axis as an index; a transpose's from the rank."""
    if isinstance(a, Transpose):
        first, second = x.axis(a.a, "transpose axis"), x.axis(a.b, "transpose axis")
        order = list(range(x.rank))
        order[first], order[second] = second, first
        return tuple(order)
    order = tuple(a.order)
    if len(order) != x.rank:
        raise ShapeError(f"permute {list(order)} names {len(order)} axes; the input {x} has {x.rank}")
    normal = tuple(o % x.rank if -x.rank <= o < x.rank else None for o in order)
    if None in normal or len(set(normal)) != len(normal):
        twice = next((o for o in order if normal.count(o % x.rank if -x.rank <= o < x.rank else None) > 1), None)
        raise ShapeError(f"permute {list(order)} of {x}: " + (f"names axis {twice} twice" if twice is not None else
                         f"axes must be 0 to {x.rank - 1}"))
    return normal


@rule(("permute", "transpose"), "shape")
def permute_shape(a: Permute, ins):
    """Output: the input's axes in `order`; a view (not contiguous unless the order is the identity)."""
    (x,) = ins
    order = _order(a, x)
    dims, strides = tuple(x.dims[o] for o in order), x.strides or row_major(x.dims)
    out = Shape(dims=dims, roles="".join(x.roles[o] for o in order),
                strides=normalise(dims, tuple(strides[o] for o in order)), sample_stride=x.sample_stride)
    return ShapeOut(out, f"{x} ({x.layout()}) -> {out} ({out.layout()})")


@rule("select", "shape")
def select_shape(a: Select, ins):
    """Output: the input without `axis`; the index must lie inside it."""
    (x,) = ins
    axis = x.axis(a.axis, "select axis")
    size = x.dims[axis]
    if a.index < 0 or (not is_symbolic(size) and a.index >= size):
        raise ShapeError(f"select position {a.index} of axis {a.axis} (size {fmt_dim(size)}) of {x}: out of range")
    dims, strides = x.dims[:axis] + x.dims[axis + 1:], x.strides or row_major(x.dims)
    out = Shape(dims=dims, roles=x.roles[:axis] + x.roles[axis + 1:],
                strides=normalise(dims, strides[:axis] + strides[axis + 1:]),
                sample_stride=sample_stride_of(x, product(dims)))
    return ShapeOut(out, f"position {a.index} of axis {a.axis} of {x} -> {out}")


@rule("contiguous", "shape")
def contiguous_shape(a: Contiguous, ins):
    """Output: the input's shape, laid out row-major (a copy where the input was not)."""
    (x,) = ins
    if x.contiguous:
        return ShapeOut(x, "already contiguous: the tensor itself")
    return ShapeOut(Shape(dims=x.dims, roles=x.roles), f"a row-major copy of {x} ({x.layout()})")


@rule("contiguous", "activation")
def contiguous_activation(a, ins, out):
    """Elements: the copy's, where the input was not contiguous."""
    return 0 if ins[0].contiguous else out.elements


@rule("contiguous", "rf")
def contiguous_rf(a, in_rfs, ins):
    """As it was: a copy moves no element's field."""
    return in_rfs[0], None


@rule("contiguous", "saved")
def contiguous_saved(a, ins, out, device):
    """Nothing saved; the output is the input itself where it was contiguous, else a new tensor."""
    return Saved(alias=0) if ins[0].contiguous else Saved()


@rule(("reshape", "flatten"), "activation")
def reshape_activation(a, ins, out):
    """Elements: none for a view; the output when the input is permuted and torch copies it."""
    return out.elements if copies(ins[0], _new_sizes(a, ins[0])) else 0


@rule(("permute", "transpose", "select"), "activation")
def view_activation(a, ins, out):
    """Elements: none, a view of the input's storage."""
    return 0


@rule(("reshape", "flatten"), "rf")
def reshape_rf(a, in_rfs, ins):
    """As it was; global where spatial positions merge into channels (each element then stands for the whole
    map, as before a classifier)."""
    rf, x = in_rfs[0], ins[0]
    roles, lost = group_roles(x, _new_sizes(a, x))
    if lost or isinstance(a, Reshape) and a.roles and a.roles != roles:  # axes read anew: positions mixed
        return whole(rf), None
    return rf, None


@rule(("permute", "transpose"), "rf")
def permute_rf(a: Permute, in_rfs, ins):
    """As it was, its axes reordered where the permute reorders the spatial axes among themselves."""
    rf, x = in_rfs[0], ins[0]
    order = _order(a, x)
    spatial = [i for i, r in enumerate(x.roles) if r == SPATIAL]
    moved = [spatial.index(o) for o in order if x.roles[o] == SPATIAL]
    if moved == sorted(moved) or len(moved) != len(rf.size):
        return rf, None
    return RF(tuple(rf.size[m] for m in moved), tuple(rf.jump[m] for m in moved),
              tuple(rf.start[m] for m in moved)), None


@rule("select", "rf")
def select_rf(a, in_rfs, ins):
    """The field of the position selected: the field as it was (every position's field has one size)."""
    return in_rfs[0], None


@rule(("reshape", "flatten"), "saved")
def reshape_saved(a, ins, out, device):
    """Nothing saved (backward needs sizes only); a view's output is the input's storage, a copy's is new."""
    return Saved() if copies(ins[0], _new_sizes(a, ins[0])) else Saved(alias=0)


@rule(("permute", "transpose", "select"), "saved")
def view_saved(a, ins, out, device):
    """A view: nothing saved (backward needs sizes and the order only); the output is the input's storage."""
    return Saved(alias=0)
