"""SqueezeNet (Iandola et al., 2016) as torchvision builds it (1.0 and 1.1), and the fire module alone.

Layer names are torchvision's module paths (features.3.squeeze, classifier.1, ...).
"""

from __future__ import annotations

from . import register

PAPER = ("Iandola et al., SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model "
         "size, arXiv 2016, Table 1")
TORCHVISION = "torchvision.models.{} (Iandola et al. 2016{})"

# features index -> ("conv", out, kernel, stride) | ("pool",) | ("fire", squeeze, expand1x1, expand3x3)
LAYOUTS = {
    "1_0": [("conv", 96, 7, 2), ("relu",), ("pool",), ("fire", 16, 64, 64), ("fire", 16, 64, 64),
            ("fire", 32, 128, 128), ("pool",), ("fire", 32, 128, 128), ("fire", 48, 192, 192),
            ("fire", 48, 192, 192), ("fire", 64, 256, 256), ("pool",), ("fire", 64, 256, 256)],
    "1_1": [("conv", 64, 3, 2), ("relu",), ("pool",), ("fire", 16, 64, 64), ("fire", 16, 64, 64), ("pool",),
            ("fire", 32, 128, 128), ("fire", 32, 128, 128), ("pool",), ("fire", 48, 192, 192),
            ("fire", 48, 192, 192), ("fire", 64, 256, 256), ("fire", 64, 256, 256)],
}


def fire(net, x, squeeze: int, expand1x1: int, expand3x3: int):
    """Squeeze with 1x1 convs, then expand with 1x1 and 3x3 convs side by side, joined by concat."""
    s = net.relu(net.conv(x, squeeze, 1, name="squeeze"), inplace=True, name="squeeze_activation")
    e1 = net.relu(net.conv(s, expand1x1, 1, name="expand1x1"), inplace=True, name="expand1x1_activation")
    e3 = net.relu(net.conv(s, expand3x3, 3, padding=1, name="expand3x3"), inplace=True,
                  name="expand3x3_activation")
    return net.concat([e1, e3], name="concat")


def squeezenet(net, version: str = "1_0", num_classes: int = 1000):
    """Stem conv, max pools (ceil mode) between fire modules, then a 1x1 conv classifier and global pooling."""
    x = net.input
    for index, layer in enumerate(LAYOUTS[version]):
        name = f"features.{index}"
        if layer[0] == "conv":
            _, out, kernel, stride = layer
            x = net.conv(x, out, kernel, stride, name=name)
        elif layer[0] == "relu":
            x = net.relu(x, inplace=True, name=name)
        elif layer[0] == "pool":
            x = net.maxpool(x, 3, 2, ceil_mode=True, name=name)
        else:
            with net.scope(name):
                x = fire(net, x, *layer[1:])
    x = net.dropout(x, 0.5, name="classifier.0")
    x = net.conv(x, num_classes, 1, name="classifier.1")
    x = net.relu(x, inplace=True, name="classifier.2")
    x = net.adaptive_avgpool(x, 1, name="classifier.3")
    net.flatten(x, name="flatten")


register("squeezenet1_0", source=TORCHVISION.format("squeezenet1_0", ", Table 1"), input=(3, 224, 224),
         family="SqueezeNet", torchvision="squeezenet1_0", version="1_0",
         description="SqueezeNet 1.0: 7x7 stem, eight fire modules, conv classifier")(squeezenet)
register("squeezenet1_1", source=TORCHVISION.format("squeezenet1_1", "; v1.1 from the authors' repository"),
         input=(3, 224, 224), family="SqueezeNet", torchvision="squeezenet1_1", version="1_1",
         description="SqueezeNet 1.1: 3x3 stem, earlier pooling, about 2.4x fewer MACs than 1.0")(squeezenet)


@register("fire", source=PAPER + " (fire2 on maxpool1's 55x55x96 output)", input=(96, 55, 55),
          family="SqueezeNet", description="fire module: squeeze 1x1 16, expand 1x1 64 + 3x3 64")
def fire_module(net, squeeze: int = 16, expand1x1: int = 64, expand3x3: int = 64):
    fire(net, net.input, squeeze, expand1x1, expand3x3)
