"""ResNeXt (Xie, Girshick, Dollar, Tu, He, Aggregated Residual Transformations, CVPR 2017): torchvision's
resnext50_32x4d, resnext101_32x8d and resnext101_64x4d, the block by cardinality and bottleneck width,
and the whole ResNeXt-50 by cardinality and width (the paper's Table 2 sweep at about equal cost).

The block is the paper's form (c) (Fig. 3): the C paths of width d become one grouped 3x3 conv of
C*d channels in C groups, which is torchvision's bottleneck with groups=C and width_per_group=d.
"""

from __future__ import annotations


from . import ZooEntry, register, register_family, register_pattern
from .resnet import bottleneck_block, resnet

PAPER = "Xie, Girshick, Dollar, Tu, He, Aggregated Residual Transformations for Deep Neural Networks, CVPR 2017"
TORCHVISION = "torchvision.models.{} (Xie et al. 2017, grouped-conv form)"
TORCHVISION_CONFIGS = {"resnext50_32x4d": ([3, 4, 6, 3], 32, 4), "resnext101_32x8d": ([3, 4, 23, 3], 32, 8),
                       "resnext101_64x4d": ([3, 4, 23, 3], 64, 4)}


def resnext(net, layers, cardinality: int, bottleneck_width: int, num_classes: int = 1000):
    """ResNeXt: the ResNet bottleneck network with grouped 3x3 convs (C groups of d channels in stage 1)."""
    resnet(net, "bottleneck", layers, groups=cardinality, width_per_group=bottleneck_width,
           num_classes=num_classes)


def resnext_block(net, x, in_channels: int = 256, planes: int = 64, cardinality: int = 32,
                  bottleneck_width: int = 4, stride: int = 1) -> str:
    """One ResNeXt block: 1x1 to C*d, grouped 3x3 (C groups), 1x1 to 4 x planes, plus the shortcut."""
    return bottleneck_block(net, x, in_channels, planes, stride, groups=cardinality,
                            width_per_group=bottleneck_width)


for _name, (_layers, _c, _d) in TORCHVISION_CONFIGS.items():
    register(_name, source=TORCHVISION.format(_name), input=(3, 224, 224), family="ResNeXt", torchvision=_name,
             description=f"ResNeXt-{sum(_layers) * 3 + 2} ({_c}x{_d}d): cardinality {_c}, bottleneck width {_d}",
             layers=_layers, cardinality=_c, bottleneck_width=_d)(resnext)


def _block(match) -> ZooEntry:
    c, d = int(match.group(1)), int(match.group(2))
    return ZooEntry(f"resnext-block-{c}x{d}d", lambda net, **o: resnext_block(net, net.input, **o),
                    PAPER + ", Fig. 1 and Fig. 3(c) (conv2 stage, 256-d in and out)", (256, 56, 56), "ResNeXt",
                    f"ResNeXt block: 1x1 256->{c * d}, 3x3 {c * d}->{c * d} in {c} groups, 1x1 ->256 + identity",
                    options={"cardinality": c, "bottleneck_width": d})


def _network(match) -> ZooEntry:
    c, d = int(match.group(1)), int(match.group(2))
    return ZooEntry(f"resnext50-{c}x{d}d", resnext, PAPER + ", Table 2 (cardinality vs width at ~equal cost)",
                    (3, 224, 224), "ResNeXt", f"ResNeXt-50 with cardinality {c} and bottleneck width {d}",
                    options={"layers": [3, 4, 6, 3], "cardinality": c, "bottleneck_width": d})



register_family(r"resnext-block-([0-9]+)x([0-9]+)d", _block, ("resnext-block-1x64d",))
register("resnext-block", source=PAPER + ", Fig. 1 right and Fig. 3(c)", input=(256, 56, 56), family="ResNeXt",
         description="ResNeXt block 32x4d: 32 paths of width 4 as one grouped 3x3 conv",
         cardinality=32, bottleneck_width=4)(lambda net, **o: resnext_block(net, net.input, **o))
# Table 2 of the paper: (cardinality, width) pairs that keep ResNet-50's complexity
TABLE2 = ((1, 64), (2, 40), (4, 24), (8, 14), (32, 4))
register_pattern(r"resnext50-([0-9]+)x([0-9]+)d", _network, tuple(f"resnext50-{c}x{d}d" for c, d in TABLE2))
