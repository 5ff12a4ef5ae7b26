"""VGG (Simonyan and Zisserman, 2015): configurations A, B, D, E as torchvision builds them, with or without BN."""

from __future__ import annotations

from . import register

SOURCE = "Simonyan, Zisserman, Very Deep Convolutional Networks, ICLR 2015, Table 1; torchvision.models.{}"

# conv widths per configuration, "M" a 2x2/2 max pool (the paper's Table 1 columns A, B, D, E)
CONFIGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}


def vgg(net, config: str, batch_norm: bool):
    """3x3 convs (padding 1) in stages closed by 2x2 max pools, then FC 4096-4096-1000 (torchvision names)."""
    x = net.input
    i = 0
    with net.scope("features"):
        for v in CONFIGS[config]:
            if v == "M":
                x = net.maxpool(x, 2, 2, name=str(i))
                i += 1
                continue
            x = net.conv(x, v, 3, padding=1, name=str(i))
            i += 1
            if batch_norm:
                x = net.batchnorm(x, name=str(i))
                i += 1
            x = net.relu(x, inplace=True, name=str(i))
            i += 1
    x = net.adaptive_avgpool(x, 7, name="avgpool")
    x = net.flatten(x, name="flatten")
    with net.scope("classifier"):
        x = net.dropout(net.relu(net.linear(x, 4096, name="0"), inplace=True, name="1"), name="2")
        x = net.dropout(net.relu(net.linear(x, 4096, name="3"), inplace=True, name="4"), name="5")
        net.linear(x, 1000, name="6")


def _register(config: str, batch_norm: bool) -> None:
    name = config + ("_bn" if batch_norm else "")
    depth = config[3:]
    register(name, source=SOURCE.format(name), input=(3, 224, 224), family="VGG", torchvision=name,
             description=f"VGG-{depth}{' with batch norm' if batch_norm else ''}",
             config=config, batch_norm=batch_norm)(vgg)


for _config in CONFIGS:
    _register(_config, False)
for _config in CONFIGS:
    _register(_config, True)
