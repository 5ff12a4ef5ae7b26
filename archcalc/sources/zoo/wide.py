"""Wide Residual Networks (Zagoruyko and Komodakis, BMVC 2016): torchvision's wide_resnet50_2 and
wide_resnet101_2, and the paper's CIFAR family WRN-d-k by depth d and widening factor k.

CIFAR WRN-d-k: a 3x3 conv to 16 channels, three groups of (d - 4) / 6 pre-activation basic blocks of widths
16k, 32k, 64k (strides 1, 2, 2), BN-ReLU, global average pooling, FC (the paper's Table 1). As in the
authors' code, convs have no bias and a projecting block shares its first BN-ReLU with its 1x1 shortcut.
"""

from __future__ import annotations


from . import ZooEntry, register, register_family
from ...errors import UnknownModelError
from .preact import preact_stages
from .resnet import resnet

PAPER = "Zagoruyko, Komodakis, Wide Residual Networks, BMVC 2016"
TORCHVISION = "torchvision.models.{} (Zagoruyko and Komodakis 2016: bottleneck width x2)"


def wide_resnet_cifar(net, depth: int, widen_factor: int, dropout: float = 0.0, num_classes: int = 10):
    """WRN-depth-widen_factor for 32x32 inputs (depth = 6n + 4)."""
    n = (depth - 4) // 6
    x = net.conv(net.input, 16, 3, 1, 1, bias=False, name="conv1")
    widths = (16 * widen_factor, 32 * widen_factor, 64 * widen_factor)
    x, _ = preact_stages(net, x, 16, "basic", [n] * 3, widths, (1, 2, 2), first_preact="both", dropout=dropout)
    x = net.relu(net.batchnorm(x, name="bn"), inplace=True, name="relu")
    x = net.adaptive_avgpool(x, 1, name="avgpool")
    net.linear(net.flatten(x, name="flatten"), num_classes, name="fc")


def wide_resnet_imagenet(net, layers, widen_factor: int = 2, num_classes: int = 1000):
    """torchvision's Wide ResNet: the ResNet bottleneck network with its inner (3x3) width times k."""
    resnet(net, "bottleneck", layers, width_per_group=64 * widen_factor, num_classes=num_classes)


register("wide_resnet50_2", source=TORCHVISION.format("wide_resnet50_2"), input=(3, 224, 224),
         family="Wide ResNet", torchvision="wide_resnet50_2",
         description="WRN-50-2-bottleneck: ResNet-50 with bottlenecks twice as wide",
         layers=[3, 4, 6, 3])(wide_resnet_imagenet)
register("wide_resnet101_2", source=TORCHVISION.format("wide_resnet101_2"), input=(3, 224, 224),
         family="Wide ResNet", torchvision="wide_resnet101_2",
         description="WRN-101-2-bottleneck: ResNet-101 with bottlenecks twice as wide",
         layers=[3, 4, 23, 3])(wide_resnet_imagenet)


def _cifar(match) -> ZooEntry:
    depth, k = int(match.group(1)), int(match.group(2))
    if depth < 10 or (depth - 4) % 6 or k < 1:
        raise UnknownModelError(f"wrn-{depth}-{k}: depth must be 6n + 4 (10, 16, 22, 28, 40, ...) and k >= 1, "
                                "e.g. wrn-28-10")
    return ZooEntry(f"wrn-{depth}-{k}", wide_resnet_cifar, PAPER + ", Table 1 (CIFAR)", (3, 32, 32),
                    "Wide ResNet", f"CIFAR WRN-{depth}-{k}: 3 groups of {(depth - 4) // 6} wide basic blocks, "
                    f"widths {16 * k}, {32 * k}, {64 * k}", options={"depth": depth, "widen_factor": k})



register_family(r"wrn-([0-9]+)-([0-9]+)", _cifar, ("wrn-16-8", "wrn-28-10", "wrn-40-4"))
