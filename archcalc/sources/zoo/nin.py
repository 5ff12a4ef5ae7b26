"""Network in Network (Lin, Chen, Yan, ICLR 2014) for ImageNet, and the mlpconv block alone.

An mlpconv block is a conv followed by two 1x1 convs (the "micro network", cccp layers in the authors'
Caffe files), each with a ReLU. The ImageNet model (the authors' Caffe model-zoo release, "4 layer NIN +
global average pooling", crop 224) stacks four such blocks with 3x3/2 max pools between them; the last
block's 1x1 conv has one channel per class and a 6x6 average pool turns each map into a score: no fully
connected layer. Caffe rounds pooled sizes up, hence ceil mode.
"""

from __future__ import annotations

from . import register

PAPER = "Lin, Chen, Yan, Network In Network, ICLR 2014"
IMAGENET = PAPER + "; ImageNet model: the authors' Caffe model-zoo release (nin_imagenet, crop 224)"

# (conv out channels, kernel, stride, padding) of each block's first conv; its two 1x1 convs keep the width
BLOCKS = ((96, 11, 4, 0), (256, 5, 1, 2), (384, 3, 1, 1), (1024, 3, 1, 1))


def mlpconv(net, x, out_channels: int, kernel, stride=1, padding=0, micro=None) -> str:
    """A conv and its ReLU, then 1x1 convs (widths `micro`, default twice `out_channels`), each with a ReLU."""
    x = net.relu(net.conv(x, out_channels, kernel, stride, padding, name="conv"), inplace=True, name="relu")
    for i, width in enumerate(micro or (out_channels, out_channels), start=1):
        x = net.relu(net.conv(x, width, 1, name=f"cccp{i}"), inplace=True, name=f"cccp{i}_relu")
    return x


def nin_imagenet(net, num_classes: int = 1000):
    """Four mlpconv blocks, 3x3/2 max pools (ceil mode) between them, dropout, global average pooling."""
    x = net.input
    for i, (out, kernel, stride, padding) in enumerate(BLOCKS, start=1):
        last = i == len(BLOCKS)
        with net.scope(f"mlpconv{i}"):
            x = mlpconv(net, x, out, kernel, stride, padding, micro=(out, num_classes) if last else None)
        if not last:
            x = net.maxpool(x, 3, 2, ceil_mode=True, name=f"pool{i}")
        if i == 3:
            x = net.dropout(x, 0.5, name="dropout")
    x = net.adaptive_avgpool(x, 1, name="pool4")
    net.flatten(x, name="flatten")


register("nin", source=IMAGENET, input=(3, 224, 224), family="NiN",
         description="Network in Network, ImageNet: 4 mlpconv blocks, global average pooling, no FC")(nin_imagenet)


@register("mlpconv", source=PAPER + ", Fig. 2 (first block of the ImageNet model at 27x27x96)", input=(96, 27, 27),
          family="NiN", description="mlpconv block: 5x5 conv 256, two 1x1 convs 256, ReLUs")
def mlpconv_module(net, out_channels: int = 256, kernel: int = 5, padding: int = 2):
    mlpconv(net, net.input, out_channels, kernel, 1, padding)
