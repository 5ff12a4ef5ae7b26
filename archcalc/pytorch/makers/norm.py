"""Torch twins of the per-sample normalisations: layer norm (nn.LayerNorm, and ConvNeXt's LayerNorm2d),
group norm, instance norm."""

from __future__ import annotations

from torch import nn
from torch.nn import functional as F

from ...errors import GraphError
from . import makes


class LayerNorm2d(nn.LayerNorm):
    """Layer norm over the channels at every position, as ConvNeXt and timm write it: move the channels last,
    F.layer_norm, move them back (both moves are views; the output is one new tensor).

    The result is made contiguous (a copy of the same size; the channels-last result it replaces is freed, so
    the layer still makes one tensor): the engine models
    channels-first contiguous tensors, and a channels-last-strided result would make a later flatten copy
    and a later upsample keep the channels-last layout, which the engine does not track yet."""

    def forward(self, x):
        x = x.movedim(1, -1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.movedim(-1, 1).contiguous()


@makes("layernorm")
def make_layernorm(a, xs):
    """nn.LayerNorm over the input's last `axes` sizes, or LayerNorm2d over its channels."""
    x = xs[0]
    if a.channels_first:
        return LayerNorm2d(x.shape[1], a.eps, elementwise_affine=a.affine, bias=a.bias)
    if not 1 <= a.axes < x.dim():
        raise GraphError(f"layer norm over {a.axes} axes of a tensor of shape {tuple(x.shape)} has no torch module")
    return nn.LayerNorm(tuple(x.shape[x.dim() - a.axes:]), a.eps, elementwise_affine=a.affine, bias=a.bias)


@makes("groupnorm")
def make_groupnorm(a, xs):
    norm = nn.GroupNorm(a.groups, xs[0].shape[1], a.eps, a.affine)
    if a.affine and not a.bias:
        norm.register_parameter("bias", None)  # a scale only: F.group_norm(x, groups, weight, None)
    return norm


_INSTANCE = {3: nn.InstanceNorm1d, 4: nn.InstanceNorm2d, 5: nn.InstanceNorm3d}  # by rank with the batch axis


@makes("instancenorm")
def make_instancenorm(a, xs):
    """InstanceNorm1d/2d/3d by the input's rank; features from the input."""
    cls = _INSTANCE.get(xs[0].dim())
    if cls is None:
        raise GraphError(f"instance norm of a {xs[0].dim()}-D tensor has no torch module")
    return cls(xs[0].shape[1], a.eps, affine=a.affine, track_running_stats=a.track_running_stats)
