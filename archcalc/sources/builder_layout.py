"""Builder methods of one family of kinds, mixed into Net (sources/builder.py).

Layout and tokens: reshape, flatten over chosen axes, permute and transpose, select (x[:, 0]), a mean over
axes, matrix products, multi-head attention, and a ViT's class token and position embedding.

Axes are given as torch numbers them, the batch included (dim 1 is the first axis of a sample; negative
counts from the end), and stored once, at load, counted after the batch (core/ir.py).
Each method checks its attributes (builder_checks) and calls self.layer(kind, attrs, inputs, name).
"""

from __future__ import annotations

from ..core import ir
from ..errors import GraphError
from .builder_checks import check_positive


def _where(model, name) -> str:
    return f"{model}: layer {name or '(unnamed)'}"


def sample_axis(model, name, dim, what: str = "dim") -> int:
    """torch's dim (batch included) as an axis of one sample: 1 -> 0, -1 -> -1; the batch itself is refused."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise GraphError(f"{_where(model, name)}: {what} must be an integer (torch's numbering, 1 is the first "
                         f"axis after the batch), got {dim!r}")
    if dim == 0:
        raise GraphError(f"{_where(model, name)}: {what} 0 is the batch axis; archcalc's layers work on each "
                         "sample alike (dim 1 is the first axis after the batch)")
    return dim - 1 if dim > 0 else dim


class LayoutMethods:
    """Mixed into Net: uses its `layer` and `name`."""

    def reshape(self, x, sizes, name=None) -> str:
        """x.reshape / view to `sizes` per sample (the batch left out); one size may be -1."""
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__") or not list(sizes):
            raise GraphError(f"{_where(self.name, name)}: reshape sizes must be a non-empty list, got {sizes!r}")
        sizes = tuple(sizes)
        check_positive(self.name, name, sizes=[s for s in sizes if s != -1])
        if sizes.count(-1) > 1:
            raise GraphError(f"{_where(self.name, name)}: reshape {list(sizes)}: only one size may be -1")
        return self.layer("reshape", ir.Reshape(sizes), x, name)

    def flatten(self, x, start_dim: int = 1, end_dim: int = -1, name=None) -> str:
        """Axes start_dim..end_dim as one (torch.flatten's dims): the whole sample by default, as nn.Flatten."""
        start = sample_axis(self.name, name, start_dim, "start_dim")
        end = sample_axis(self.name, name, end_dim, "end_dim")
        return self.layer("flatten", ir.Flatten(start, end), x, name)

    def permute(self, x, dims, name=None) -> str:
        """x.permute(dims) with torch's dims, the batch first (0, 2, 3, 1: channels last). A view."""
        if isinstance(dims, (str, bytes)) or not hasattr(dims, "__iter__"):
            raise GraphError(f"{_where(self.name, name)}: permute dims must be a list such as [0, 2, 3, 1], "
                             f"got {dims!r}")
        dims = list(dims)
        if not dims or any(isinstance(d, bool) or not isinstance(d, int) for d in dims):
            raise GraphError(f"{_where(self.name, name)}: permute dims must be integers, got {dims!r}")
        normal = [d % len(dims) if -len(dims) <= d < len(dims) else None for d in dims]
        if None in normal:
            raise GraphError(f"{_where(self.name, name)}: permute {dims}: dims must lie in 0..{len(dims) - 1}")
        twice = [d for d in dims if normal.count(d % len(dims)) > 1]
        if twice:
            raise GraphError(f"{_where(self.name, name)}: permute {dims} names axis {twice[0]} twice")
        if normal[0] != 0:
            raise GraphError(f"{_where(self.name, name)}: permute {dims} moves the batch axis; archcalc keeps it "
                             "first (dims start with 0)")
        return self.layer("permute", ir.Permute(tuple(d - 1 for d in normal[1:])), x, name)

    def transpose(self, x, dim0: int, dim1: int, name=None) -> str:
        """x.transpose(dim0, dim1) with torch's dims: two axes swapped. A view."""
        a, b = sample_axis(self.name, name, dim0, "dim0"), sample_axis(self.name, name, dim1, "dim1")
        return self.layer("transpose", ir.Transpose(a, b), x, name)

    def contiguous(self, x, name=None) -> str:
        """x.contiguous(): a row-major copy of a permuted tensor, the tensor itself otherwise."""
        return self.layer("contiguous", ir.Contiguous(), x, name)

    def select(self, x, dim: int, index: int, name=None) -> str:
        """x.select(dim, index), `x[:, 0]` (a ViT's class token): one position, the axis removed. A view."""
        axis = sample_axis(self.name, name, dim)
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise GraphError(f"{_where(self.name, name)}: select index must be 0 or more, got {index!r}")
        return self.layer("select", ir.Select(axis, index), x, name)

    def reduce_mean(self, x, dim, keepdim: bool = False, name=None) -> str:
        """x.mean(dim, keepdim) over one or more axes (torch's dims): ConvNeXt's and ViT's global average."""
        return self._reduce("reduce_mean", ir.ReduceMean, x, dim, keepdim, name)

    def reduce_sum(self, x, dim, keepdim: bool = False, name=None) -> str:
        """x.sum(dim, keepdim) over one or more axes (torch's dims): SKNet's sum over its branches."""
        return self._reduce("reduce_sum", ir.ReduceSum, x, dim, keepdim, name)

    def _reduce(self, kind: str, attrs, x, dim, keepdim, name) -> str:
        dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
        axes = tuple(sample_axis(self.name, name, d) for d in dims)
        if not axes:
            raise GraphError(f"{_where(self.name, name)}: {kind} needs at least one dim")
        return self.layer(kind, attrs(axes, bool(keepdim)), x, name)

    def normalize(self, x, dim=None, p: float = 2.0, eps: float = 1e-12, name=None) -> str:
        """F.normalize: vectors along torch's `dim` (default: the channels) to unit Lp norm."""
        axis = None if dim is None else sample_axis(self.name, name, dim)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not p > 0:
            raise GraphError(f"{_where(self.name, name)}: normalize p must be a positive number, got {p!r}")
        return self.layer("normalize", ir.Normalize(axis, float(p), float(eps)), x, name)

    def matmul(self, xs, name=None) -> str:
        """torch.matmul / bmm of two inputs: (..., n, k) @ (..., k, m); n x k x m MACs per leading index."""
        return self.layer("matmul", ir.Matmul(), xs, name)

    def assign(self, xs, index, name=None) -> str:
        """x[index] = v, in place, for xs = [x, v]: `index` per sample axis, [start, stop] or one position."""
        return self.layer("assign", ir.Assign(tuple(tuple(e) if isinstance(e, list) else e for e in index)), xs,
                          name)

    def param_matmul(self, x, shape, params=None, buffers: int = 0, name=None) -> str:
        """x @ P with a learned P of `shape` (broadcast as torch.matmul does), made from `params` elements."""
        return self.layer("param_matmul", ir.ParamMatmul(tuple(shape), params, buffers), x, name)

    def attention(self, x, heads: int, qkv_bias: bool = True, proj_bias: bool = True, fused: bool = False,
                  name=None) -> str:
        """Multi-head self-attention on tokens x channels with its qkv and output projections (timm's ViT);
        fused: by F.scaled_dot_product_attention (the same MACs; autograd keeps less)."""
        check_positive(self.name, name, heads=(heads,))
        return self.layer("attention", ir.Attention(heads, bool(qkv_bias), bool(proj_bias), bool(fused)), x, name)

    def class_token(self, x, count: int = 1, name=None) -> str:
        """`count` learned tokens put before the tokens (a ViT's class token): C parameters each."""
        check_positive(self.name, name, count=(count,))
        return self.layer("class_token", ir.ClassToken(count), x, name)

    def bias(self, x, shape, params=None, buffers: int = 0, name=None) -> str:
        """x + a learned tensor of `shape` (sample axes, numpy broadcasting): its elements are parameters
        (or `params`, those of a table it is gathered from; `buffers`, an index it reads)."""
        shape = _learned_shape(self.name, name, shape)
        return self.layer("bias", ir.Bias(shape, params, buffers), x, name)

    def gain(self, x, shape, params=None, buffers: int = 0, name=None) -> str:
        """x * a learned tensor of `shape` (sample axes, numpy broadcasting): its elements are parameters
        (or `params`, as for bias)."""
        shape = _learned_shape(self.name, name, shape)
        return self.layer("gain", ir.Gain(shape, params, buffers), x, name)

    def scalar(self, x, op: str, value: float, name=None) -> str:
        """x op a constant (op: add, sub, rsub, mul, div, rdiv, pow): x * 0.5, x + 1, x ** 2."""
        from ..core.rules.scalar import OPS

        if op not in OPS or isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise GraphError(f"{_where(self.name, name)}: scalar needs op in {', '.join(OPS)} and a number, "
                             f"got {op!r}, {value!r}")
        return self.layer("scalar", ir.Scalar(op, float(value)), x, name)

    def reduce_norm(self, x, dim, keepdim: bool = False, p: float = 2.0, name=None) -> str:
        """x.norm(p, dim, keepdim): the Lp norm over one or more axes (torch's dims)."""
        dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
        axes = tuple(sample_axis(self.name, name, d) for d in dims)
        if not axes or isinstance(p, bool) or not isinstance(p, (int, float)) or not p > 0:
            raise GraphError(f"{_where(self.name, name)}: reduce_norm needs a dim and a positive p, got {dim!r}, {p!r}")
        return self.layer("reduce_norm", ir.ReduceNorm(axes, bool(keepdim), float(p)), x, name)

    def constant(self, x, op: str, shape, name=None) -> str:
        """x + C or x * C (op add or mul), C a table of `shape` computed from sizes (a rotary sin or cos):
        no parameters, broadcast against the sample's axes."""
        if op not in ("add", "mul"):
            raise GraphError(f"{_where(self.name, name)}: constant needs op add or mul, got {op!r}")
        return self.layer("constant", ir.Constant(op, _learned_shape(self.name, name, shape)), x, name)

    def pos_embed(self, x, name=None) -> str:
        """A learned position embedding added to the tokens: tokens x C parameters."""
        return self.layer("pos_embed", ir.PosEmbed(), x, name)


def _learned_shape(model, name, shape) -> tuple:
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = [shape]
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise GraphError(f"{_where(model, name)}: shape must be a list of sizes, got {shape!r}")
    shape = tuple(shape)
    check_positive(model, name, shape=shape)
    return shape
