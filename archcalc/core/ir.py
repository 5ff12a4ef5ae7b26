"""The architecture as data: typed layer attributes, Layer, and Graph (a DAG in topological order).

Per-axis values (kernel, stride, padding, dilation) are normalised to tuples once, when a layer is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import GraphError

Pair = tuple  # one value per spatial axis


def per_axis(value, axes: int, what: str = "value") -> tuple:
    """Normalise an int or a sequence to one int per axis (done once, at load time)."""
    if isinstance(value, bool):
        raise GraphError(f"{what}: expected an integer or {axes} integers, got {value!r}")
    if isinstance(value, int):
        return (value,) * axes
    values = tuple(value)
    if len(values) != axes or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise GraphError(f"{what}: expected an integer or {axes} integers, got {value!r}")
    return values


@dataclass(frozen=True)
class Conv:
    """Convolution over 1, 2 or 3 spatial axes.

    same: torch's padding='same' (stride 1): d*(k - 1) padding per axis in total, `padding` holding the
    left (top) part, total//2; torch puts the odd one on the right (bottom). Stored this way so that the
    receptive field's start, which only depends on the left padding, needs no special case.

    standardised: the weight is standardised per output channel before use (timm's StdConv2d, BiT), as
    F.batch_norm of the weight in training mode; gain: and scaled by a learned gain per output channel
    (NFNet's ScaledStdConv2d: out_channels more parameters). Both leave shape and MACs as they are; backward
    keeps the standardised weight and its statistics (rules/conv.py).
    """

    out_channels: int
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = True
    same: bool = False
    standardised: bool = False
    gain: bool = False


@dataclass(frozen=True)
class Pool:
    """Max or average pooling over a sliding window."""

    kernel: Pair
    stride: Pair
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    ceil_mode: bool = False
    count_include_pad: bool = True


@dataclass(frozen=True)
class AdaptivePool:
    """Adaptive pooling to a fixed output size (global pooling when it is 1x1)."""

    output: Pair


@dataclass(frozen=True)
class LRN:
    """Local response normalisation across channels (AlexNet)."""

    size: int
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation: a scale and shift per channel, running statistics as buffers."""

    eps: float = 1e-5
    affine: bool = True
    track_running_stats: bool = True


@dataclass(frozen=True)
class Elementwise:
    """An elementwise activation (relu, tanh, sigmoid, ...); in place when it overwrites its input."""

    inplace: bool = False


@dataclass(frozen=True)
class Dropout:
    """Dropout: the identity at inference."""

    p: float = 0.5


@dataclass(frozen=True)
class Flatten:
    """Axes start..end (inclusive, counted after the batch, negative from the end) laid out as one: the whole
    sample by default (nn.Flatten). A view of a contiguous input, a copy of a permuted one."""

    start: int = 0
    end: int = -1


@dataclass(frozen=True)
class Linear:
    """Fully connected layer on the last axis: a flat vector, or each token of tokens x channels."""

    out_features: int
    bias: bool = True


@dataclass(frozen=True)
class Softmax:
    """Softmax along one axis (counted after the batch, negative from the end); None: the channel axis."""

    axis: Optional[int] = None


@dataclass(frozen=True)
class Concat:
    """Concatenation of branches along one axis (counted after the batch); None: the channel axis."""

    axis: Optional[int] = None


@dataclass(frozen=True)
class Add:
    """Elementwise sum of branches (residual); in place when it adds into its first input."""

    inplace: bool = False


@dataclass(frozen=True)
class Mean:
    """Element-wise mean of two or more inputs of one shape (FractalNet's join)."""


@dataclass(frozen=True)
class PadChannels:
    """Zero channels appended after the input's, up to `out_channels` (a parameter-free shortcut)."""

    out_channels: int


# --- elementwise: broadcast joins, identity, drop-path ------------------------------------------------------
@dataclass(frozen=True)
class Mul:
    """Elementwise product of two inputs that broadcast (a squeeze-and-excitation gate, a scale); in place
    when it multiplies into its first input."""

    inplace: bool = False


@dataclass(frozen=True)
class Scale:
    """A learned factor per channel (ConvNeXt's and CaiT's layer scale: x * gamma, gamma of C values)."""


@dataclass(frozen=True)
class Identity:
    """The input itself (nn.Identity): no memory, no arithmetic."""


@dataclass(frozen=True)
class DropPath:
    """Stochastic depth on one residual branch (timm's DropPath): the identity at inference; in training it
    zeroes whole samples with probability p."""

    p: float = 0.0


# --- normalisation -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerNorm:
    """Layer normalisation over the last `axes` axes as the tensor is laid out (nn.LayerNorm), or, with
    channels_first, over the channels at every position (ConvNeXt's LayerNorm2d)."""

    axes: int = 1
    eps: float = 1e-5
    affine: bool = True
    bias: bool = True
    channels_first: bool = False


@dataclass(frozen=True)
class RMSNorm:
    """Root-mean-square normalisation over the last `axes` axes (nn.RMSNorm, F.rms_norm, timm's RmsNorm):
    x / sqrt(mean(x^2) + eps), times a weight with affine; no mean subtracted, no bias. eps None: torch's
    default, the dtype's machine epsilon."""

    axes: int = 1
    eps: Optional[float] = None
    affine: bool = True


@dataclass(frozen=True)
class GroupNorm:
    """Group normalisation: channels in `groups` groups, statistics per sample and group (nn.GroupNorm)."""

    groups: int
    eps: float = 1e-5
    affine: bool = True
    bias: bool = True  # with affine: a shift per channel too (False: a scale only, PoolFormer-v2's GroupNorm1)


@dataclass(frozen=True)
class InstanceNorm:
    """Instance normalisation: statistics per sample and channel (nn.InstanceNorm1d/2d/3d)."""

    eps: float = 1e-5
    affine: bool = False
    track_running_stats: bool = False


# --- resizing -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvTranspose:
    """Transposed convolution (nn.ConvTranspose1d/2d/3d): the gradient of a convolution, used to upsample."""

    out_channels: int
    kernel: Pair
    stride: Pair
    padding: Pair
    output_padding: Pair
    dilation: Pair
    groups: int = 1
    bias: bool = True


@dataclass(frozen=True)
class Upsample:
    """Resizing by interpolation (nn.Upsample, F.interpolate) to a `size` or by a `scale` per spatial axis."""

    size: Optional[tuple] = None
    scale: Optional[tuple] = None
    mode: str = "nearest"
    align_corners: Optional[bool] = None


@dataclass(frozen=True)
class Pad:
    """Explicit padding (F.pad, nn.ZeroPad2d): (before, after) per spatial axis, in axis order (per token axis
    of a tokens tensor: CoaT pads heads x tokens x width by one token)."""

    pads: tuple
    value: float = 0.0


# --- plumbing: channel slices and shuffles -------------------------------------------------------------------
@dataclass(frozen=True)
class Slice:
    """Positions [start, stop) of one axis, step 1: `x[:, start:stop]` on the channels (axis None), or one
    part of torch.split/chunk. A view of the input."""

    start: int
    stop: int
    axis: Optional[int] = None


@dataclass(frozen=True)
class ChannelShuffle:
    """ShuffleNet's channel shuffle (nn.ChannelShuffle): the channels read as a groups x (C/groups) grid
    and transposed, so that the next grouped layer sees channels from every group."""

    groups: int


# --- layout, matrix products, tokens, learned tensors, constants: in ir_tensors.py (this file's size) -------
from .ir_tensors import (Attention, Bias, ClassToken, Contiguous, Gain, Matmul, Permute, PosEmbed,  # noqa: E402,F401
                         ReduceMean, ReduceSum, Reshape, Scalar, Select, Transpose, Normalize,
                         ReduceNorm, Constant)
from .ir_windows import PatchMerge, Roll, WindowAttention  # noqa: E402,F401
from .ir_unfold import Fold, Unfold, UnfoldAxis  # noqa: E402,F401
from .ir_table import BatchTable  # noqa: E402,F401
from .ir_queries import LearnedTokens  # noqa: E402,F401
from .ir_reduce import Expand, ReduceMax, ReduceVar, Take  # noqa: E402,F401
from .ir_fixed import BorderPad, BufferConv  # noqa: E402,F401
from .ir_assign import Assign  # noqa: E402,F401
from .ir_param_matmul import ParamMatmul  # noqa: E402,F401


@dataclass(frozen=True)
class Layer:
    """One node of the graph: a unique dotted name, a kind, its typed attributes and its input names."""

    name: str
    kind: str
    attrs: Any
    inputs: tuple


INPUT = "input"


@dataclass(frozen=True)
class Graph:
    """An architecture: layers in topological order, reading from the node named 'input'."""

    name: str
    layers: tuple
    default_input: Optional[tuple] = None
    source: str = ""
    notes: tuple = field(default_factory=tuple)
    extras: dict = field(default_factory=dict, compare=False)  # family metadata, e.g. survival probabilities
    # False: the first layers were written for default_input's channels, and another count is refused (torch
    # would refuse it too); True (spec files): they follow whatever channels the input has
    channels_free: bool = False
    # the input's axis roles (core/shape.py) where it is not channels-first: "SC" for tokens x channels
    input_roles: str = ""

    def __post_init__(self):
        seen = {INPUT}
        for layer in self.layers:
            if layer.name in seen:
                raise GraphError(f"{self.name}: layer name '{layer.name}' is used twice")
            for src in layer.inputs:
                if src not in seen:
                    raise GraphError(f"{self.name}: layer '{layer.name}' reads '{src}', "
                                     "which is not an earlier layer")
            seen.add(layer.name)

    @property
    def output(self) -> str:
        return self.layers[-1].name if self.layers else INPUT
