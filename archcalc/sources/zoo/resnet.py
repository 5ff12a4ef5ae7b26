"""ResNet (He et al., 2015) as torchvision builds it, the paper's ResNet-50, and the residual blocks alone.

`resnet()` and the block builders are public: ResNeXt and Wide ResNet are the same builder with other
groups and widths.
"""

from __future__ import annotations

from . import register

PAPER = "He, Zhang, Ren, Sun, Deep Residual Learning for Image Recognition, CVPR 2016, Table 1"
TORCHVISION = "torchvision.models.{} (He et al. 2016, stride on the 3x3 conv of each bottleneck)"
LECTURE = "CS231n lecture 9 (the lecture note) and He et al. 2016, Fig. 5"

DEPTHS = {18: ("basic", [2, 2, 2, 2]), 34: ("basic", [3, 4, 6, 3]), 50: ("bottleneck", [3, 4, 6, 3]),
          101: ("bottleneck", [3, 4, 23, 3]), 152: ("bottleneck", [3, 8, 36, 3])}
EXPANSION = {"basic": 1, "bottleneck": 4}


def basic_block(net, x, in_channels, planes, stride=1, inplace=True):
    """Two 3x3 convs with BN, ReLU after the first and after the add; a 1x1 projection when the shape changes."""
    y = net.relu(net.batchnorm(net.conv(x, planes, 3, stride, 1, bias=False, name="conv1"), name="bn1"),
                 inplace=inplace, name="relu1")
    y = net.batchnorm(net.conv(y, planes, 3, 1, 1, bias=False, name="conv2"), name="bn2")
    shortcut = _shortcut(net, x, in_channels, planes, stride)
    return net.relu(net.add([y, shortcut], inplace=inplace, name="add"), inplace=inplace, name="relu2")


def bottleneck_block(net, x, in_channels, planes, stride=1, groups=1, width_per_group=64,
                     stride_on="3x3", inplace=True):
    """1x1 reduce, 3x3 (grouped), 1x1 expand to 4 x planes; stride on the 3x3 (torchvision) or the first 1x1."""
    width = int(planes * (width_per_group / 64.0)) * groups  # torchvision's rule for ResNeXt / Wide ResNet
    s1, s3 = (1, stride) if stride_on == "3x3" else (stride, 1)
    y = net.relu(net.batchnorm(net.conv(x, width, 1, s1, bias=False, name="conv1"), name="bn1"),
                 inplace=inplace, name="relu1")
    y = net.relu(net.batchnorm(net.conv(y, width, 3, s3, 1, groups=groups, bias=False, name="conv2"),
                               name="bn2"), inplace=inplace, name="relu2")
    y = net.batchnorm(net.conv(y, planes * 4, 1, bias=False, name="conv3"), name="bn3")
    shortcut = _shortcut(net, x, in_channels, planes * 4, stride)
    return net.relu(net.add([y, shortcut], inplace=inplace, name="add"), inplace=inplace, name="relu3")


def _shortcut(net, x, in_channels, out_channels, stride):
    """Identity, or a strided 1x1 conv + BN projection (the paper's option B) when the shape changes."""
    if stride == 1 and in_channels == out_channels:
        return x
    with net.scope("downsample"):
        return net.batchnorm(net.conv(x, out_channels, 1, stride, bias=False, name="0"), name="1")


def resnet(net, block: str, layers, groups=1, width_per_group=64, stride_on="3x3", num_classes=1000):
    """Stem (7x7/2 conv, 3x3/2 max pool), four stages of blocks, global average pooling, FC."""
    x = net.relu(net.batchnorm(net.conv(net.input, 64, 7, 2, 3, bias=False, name="conv1"), name="bn1"),
                 inplace=True, name="relu")
    x = net.maxpool(x, 3, 2, 1, name="maxpool")
    channels = 64
    for stage, (planes, count) in enumerate(zip((64, 128, 256, 512), layers), start=1):
        for i in range(count):
            stride = 2 if stage > 1 and i == 0 else 1
            with net.scope(f"layer{stage}.{i}"):
                if block == "basic":
                    x = basic_block(net, x, channels, planes, stride)
                else:
                    x = bottleneck_block(net, x, channels, planes, stride, groups, width_per_group, stride_on)
            channels = planes * EXPANSION[block]
    x = net.adaptive_avgpool(x, 1, name="avgpool")
    x = net.flatten(x, name="flatten")
    net.linear(x, num_classes, name="fc")


def _register(depth: int) -> None:
    block, layers = DEPTHS[depth]
    name = f"resnet{depth}"
    register(name, source=TORCHVISION.format(name), input=(3, 224, 224), family="ResNet", torchvision=name,
             description=f"ResNet-{depth}, {block} blocks {layers}", block=block, layers=layers)(resnet)


for _depth in DEPTHS:
    _register(_depth)

register("resnet50-paper", source=PAPER, input=(3, 224, 224), family="ResNet",
         description="ResNet-50 as published: stride 2 on the first 1x1 of each downsampling bottleneck",
         block="bottleneck", layers=[3, 4, 6, 3], stride_on="1x1")(resnet)


@register("residual-basic", source=LECTURE, input=(64, 56, 56), family="ResNet",
          description="basic residual block: 3x3,64 -> 3x3,64 + identity")
def residual_basic(net):
    basic_block(net, net.input, 64, 64)


@register("residual-bottleneck", source=LECTURE, input=(256, 28, 28), family="ResNet",
          description="bottleneck block: 1x1,64 -> 3x3,64 -> 1x1,256 + identity")
def residual_bottleneck(net):
    bottleneck_block(net, net.input, 256, 64)
