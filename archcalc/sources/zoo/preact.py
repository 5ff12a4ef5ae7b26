"""Pre-activation ResNet (He, Zhang, Ren, Sun, Identity Mappings in Deep Residual Networks, ECCV 2016).

BN and ReLU move before each conv, so that the shortcut path stays a pure identity from block to block.
The block builders are public: Wide ResNet (zoo/wide.py) is the same basic block, wider.

Where a block changes shape, its shortcut is a 1x1 conv (no BN). Following the authors' Torch code
(fb.resnet.torch preresnet.lua and resnet-1k-layers), the first block of a stage shares its BN-ReLU between
the residual path and the projection ("both_preact"); the very first block after an ImageNet stem, which
already ends in BN-ReLU, has no pre-activation of its own ("no_preact"). Convs have no bias (each is
followed by a BN, or by the add); the counts the paper rounds (1.7M, 10.2M) do not see the difference.
"""

from __future__ import annotations


from . import ZooEntry, register_family
from ...errors import UnknownModelError

PAPER = "He, Zhang, Ren, Sun, Identity Mappings in Deep Residual Networks, ECCV 2016"
IMAGENET_DEPTHS = {18: ("basic", [2, 2, 2, 2]), 34: ("basic", [3, 4, 6, 3]), 50: ("bottleneck", [3, 4, 6, 3]),
                   101: ("bottleneck", [3, 4, 23, 3]), 152: ("bottleneck", [3, 8, 36, 3]),
                   200: ("bottleneck", [3, 24, 36, 3])}
EXPANSION = {"basic": 1, "bottleneck": 4}


def _preactivate(net, x, in_channels: int, preact: str, index: int) -> tuple:
    """(input of the residual path, input of a projection shortcut) for a pre-activation mode:
    'residual' (the usual), 'both' (shared by both paths), 'none' (the input is already activated)."""
    if preact == "none":
        return x, x
    a = net.relu(net.batchnorm(x, name=f"bn{index}"), inplace=True, name=f"relu{index}")
    return a, (a if preact == "both" else x)


def _projection(net, x, shortcut_input, in_channels, out_channels, stride):
    """Identity, or a strided 1x1 conv when the shape changes (option B, without BN)."""
    if stride == 1 and in_channels == out_channels:
        return x
    return net.conv(shortcut_input, out_channels, 1, stride, bias=False, name="shortcut")


def preact_basic_block(net, x, in_channels: int, out_channels: int, stride: int = 1, preact: str = "residual",
                       dropout: float = 0.0) -> str:
    """BN-ReLU-3x3 conv, BN-ReLU-(dropout)-3x3 conv, plus the shortcut; nothing after the add."""
    y, s = _preactivate(net, x, in_channels, preact, 1)
    y = net.conv(y, out_channels, 3, stride, 1, bias=False, name="conv1")
    y = net.relu(net.batchnorm(y, name="bn2"), inplace=True, name="relu2")
    if dropout:
        y = net.dropout(y, dropout, name="dropout")
    y = net.conv(y, out_channels, 3, 1, 1, bias=False, name="conv2")
    return net.add([y, _projection(net, x, s, in_channels, out_channels, stride)], inplace=True, name="add")


def preact_bottleneck_block(net, x, in_channels: int, planes: int, stride: int = 1,
                            preact: str = "residual") -> str:
    """BN-ReLU-1x1 conv, BN-ReLU-3x3 conv (strided), BN-ReLU-1x1 conv to 4 x planes, plus the shortcut."""
    y, s = _preactivate(net, x, in_channels, preact, 1)
    y = net.conv(y, planes, 1, bias=False, name="conv1")
    y = net.relu(net.batchnorm(y, name="bn2"), inplace=True, name="relu2")
    y = net.conv(y, planes, 3, stride, 1, bias=False, name="conv2")
    y = net.relu(net.batchnorm(y, name="bn3"), inplace=True, name="relu3")
    y = net.conv(y, planes * 4, 1, bias=False, name="conv3")
    return net.add([y, _projection(net, x, s, in_channels, planes * 4, stride)], inplace=True, name="add")


def preact_stages(net, x, channels: int, block: str, layers, widths, strides, first_preact="both",
                  dropout: float = 0.0) -> tuple:
    """Stages of pre-activation blocks named layerN.i; returns (output, channels)."""
    for stage, (width, count, stride) in enumerate(zip(widths, layers, strides), start=1):
        for i in range(count):
            with net.scope(f"layer{stage}.{i}"):
                first = i == 0
                mode = (first_preact if stage == 1 else "both") if first else "residual"
                if block == "basic":
                    x = preact_basic_block(net, x, channels, width, stride if first else 1, mode, dropout)
                    channels = width
                else:
                    x = preact_bottleneck_block(net, x, channels, width, stride if first else 1, mode)
                    channels = width * 4
    return x, channels


def _head(net, x, num_classes: int) -> None:
    """The final BN-ReLU that pre-activation needs, global average pooling, FC."""
    x = net.relu(net.batchnorm(x, name="bn"), inplace=True, name="relu")
    x = net.adaptive_avgpool(x, 1, name="avgpool")
    net.linear(net.flatten(x, name="flatten"), num_classes, name="fc")


def preact_resnet_cifar(net, depth: int, block: str = "bottleneck", base_width: int = 16, num_classes: int = 10):
    """CIFAR pre-activation ResNet: 3x3 conv 16, three stages (widths 16, 32, 64; x4 out for bottlenecks),
    BN-ReLU, global pooling, FC. depth = 6n + 2 (basic) or 9n + 2 (bottleneck)."""
    per_block = 2 if block == "basic" else 3
    n = (depth - 2) // (3 * per_block)
    x = net.conv(net.input, base_width, 3, 1, 1, bias=False, name="conv1")
    widths = (base_width, 2 * base_width, 4 * base_width)
    x, _ = preact_stages(net, x, base_width, block, [n] * 3, widths, (1, 2, 2))
    _head(net, x, num_classes)


def preact_resnet_imagenet(net, block: str, layers, num_classes: int = 1000):
    """ImageNet pre-activation ResNet: 7x7/2 conv, BN-ReLU, 3x3/2 max pool, four stages, BN-ReLU, pool, FC."""
    x = net.conv(net.input, 64, 7, 2, 3, bias=False, name="conv1")
    x = net.relu(net.batchnorm(x, name="bn1"), inplace=True, name="relu1")
    x = net.maxpool(x, 3, 2, 1, name="maxpool")
    x, _ = preact_stages(net, x, 64, block, layers, (64, 128, 256, 512), (1, 2, 2, 2), first_preact="none")
    _head(net, x, num_classes)


def _cifar(match) -> ZooEntry:
    depth = int(match.group(1))
    # the papers' choice: basic blocks up to 110 layers (6n + 2), bottlenecks beyond (9n + 2: 164, 1001)
    block = "basic" if depth <= 110 else "bottleneck"
    modulus = 6 if block == "basic" else 9
    if (depth - 2) % modulus or depth < 2 + modulus:
        raise UnknownModelError(f"preact-resnet-{depth}: CIFAR depth must be 6n + 2 up to 110 (basic blocks) "
                                "or 9n + 2 above (bottlenecks), e.g. preact-resnet-110, -164, -1001")
    n = (depth - 2) // modulus
    return ZooEntry(f"preact-resnet-{depth}", preact_resnet_cifar, PAPER + ", Sec. 4 and Table 3 (CIFAR)",
                    (3, 32, 32), "Pre-act ResNet", f"CIFAR pre-activation ResNet, 3 x {n} {block} blocks",
                    options={"depth": depth, "block": block})


def _imagenet(match) -> ZooEntry:
    depth = int(match.group(1))
    if depth not in IMAGENET_DEPTHS:
        raise UnknownModelError(f"preact-resnet-{depth}-imagenet: ImageNet depth must be one of "
                                f"{', '.join(map(str, IMAGENET_DEPTHS))}")
    block, layers = IMAGENET_DEPTHS[depth]
    return ZooEntry(f"preact-resnet-{depth}-imagenet", preact_resnet_imagenet,
                    PAPER + ", Sec. 5 and Table 5 (ImageNet); layout of fb.resnet.torch preresnet.lua",
                    (3, 224, 224), "Pre-act ResNet", f"ImageNet pre-activation ResNet-{depth}, {block} blocks {layers}",
                    options={"block": block, "layers": layers})



register_family(r"preact-resnet-([0-9]+)-imagenet", _imagenet, ("preact-resnet-152-imagenet", "preact-resnet-200-imagenet"))
register_family(r"preact-resnet-([0-9]+)", _cifar, ("preact-resnet-110", "preact-resnet-164", "preact-resnet-1001"))
