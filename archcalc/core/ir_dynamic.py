"""Attribute type of a convolution whose weight is computed per sample (timm's CondConv2d, Yang et al. 2019:
the mixture of expert kernels chosen by a routing function of each sample's pooled input)."""

from __future__ import annotations

from dataclasses import dataclass

from .ir import Conv


@dataclass(frozen=True)
class DynamicConv(Conv):
    """A convolution (every field as Conv) of input 0 with the weight given, per sample, as input 1 (out x
    in/groups x kh x kw elements, flat) and, where `bias`, the bias as input 2 (out elements): no parameter
    of its own; the layers that compute the weight and bias count theirs."""
