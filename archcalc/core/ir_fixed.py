"""Attribute types of layers with a fixed (not learned) filter or border: a convolution whose weight is a buffer
(timm's BlurPool2d: a binomial filter per channel) and a pad that copies the input's border (reflect,
replicate, circular). Re-exported by core/ir.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .ir import Conv


@dataclass(frozen=True)
class BufferConv(Conv):
    """A convolution (every field as Conv) whose weight is a buffer, not a parameter: the same MACs, no trained
    weight. `buffers`: the buffer's elements where it is smaller than the weight it is expanded to (one
    filter for every channel); None: the weight's own elements."""

    buffers: Optional[int] = None


@dataclass(frozen=True)
class BorderPad:
    """F.pad in mode reflect, replicate or circular: (before, after) per spatial axis, in axis order, as Pad;
    the new positions copy the input's own values instead of a constant."""

    pads: tuple
    mode: str = "reflect"
