"""DenseNet (Huang et al., 2017) as torchvision builds it (DenseNet-BC on ImageNet), the paper's CIFAR
DenseNet-BC by depth and growth rate, and the dense block and transition as modules.

Layer names are torchvision's module paths (features.denseblock1.denselayer1.conv1). torchvision
concatenates all earlier features again at every dense layer (`torch.cat(prev_features, 1)`), so each
dense layer starts with its own concat node: that is the memory the real model allocates.
"""

from __future__ import annotations

import re

from . import register, register_pattern

PAPER = "Huang, Liu, van der Maaten, Weinberger, Densely Connected Convolutional Networks, CVPR 2017"
TORCHVISION = "torchvision.models.{} (Huang et al. 2017, Table 1)"
TORCHVISION_CONFIGS = {  # name: (growth rate, block sizes, initial features)
    "densenet121": (32, (6, 12, 24, 16), 64), "densenet161": (48, (6, 12, 36, 24), 96),
    "densenet169": (32, (6, 12, 32, 32), 64), "densenet201": (32, (6, 12, 48, 32), 64),
}


def dense_layer(net, features: list, growth_rate: int, bn_size: int = 4) -> str:
    """BN-ReLU-1x1 conv to bn_size*k channels, BN-ReLU-3x3 conv to k channels, on the concat of `features`."""
    x = net.concat(features, name="concat")
    x = net.relu(net.batchnorm(x, name="norm1"), inplace=True, name="relu1")
    x = net.conv(x, bn_size * growth_rate, 1, bias=False, name="conv1")
    x = net.relu(net.batchnorm(x, name="norm2"), inplace=True, name="relu2")
    return net.conv(x, growth_rate, 3, padding=1, bias=False, name="conv2")


def dense_block(net, x, num_layers: int, growth_rate: int, bn_size: int = 4) -> str:
    """`num_layers` dense layers, each reading every earlier output; returns the concat of them all."""
    features = [x]
    for i in range(1, num_layers + 1):
        with net.scope(f"denselayer{i}"):
            features.append(dense_layer(net, features, growth_rate, bn_size))
    return net.concat(features, name="concat")


def transition(net, x, out_channels: int) -> str:
    """BN-ReLU-1x1 conv (compression), 2x2 average pooling."""
    x = net.relu(net.batchnorm(x, name="norm"), inplace=True, name="relu")
    x = net.conv(x, out_channels, 1, bias=False, name="conv")
    return net.avgpool(x, 2, 2, name="pool")


def densenet(net, growth_rate: int, block_config, num_init_features: int, bn_size: int = 4,
             num_classes: int = 1000):
    """torchvision's DenseNet: 7x7/2 conv, 3x3/2 max pool, dense blocks with halving transitions, BN, FC."""
    with net.scope("features"):
        x = net.conv(net.input, num_init_features, 7, 2, 3, bias=False, name="conv0")
        x = net.relu(net.batchnorm(x, name="norm0"), inplace=True, name="relu0")
        x = net.maxpool(x, 3, 2, 1, name="pool0")
        channels = num_init_features
        for i, num_layers in enumerate(block_config, start=1):
            with net.scope(f"denseblock{i}"):
                x = dense_block(net, x, num_layers, growth_rate, bn_size)
            channels += num_layers * growth_rate
            if i != len(block_config):
                with net.scope(f"transition{i}"):
                    x = transition(net, x, channels // 2)
                channels //= 2
        x = net.batchnorm(x, name="norm5")
    x = net.relu(x, inplace=True, name="relu")  # F.relu(features, inplace=True) in DenseNet.forward
    x = net.adaptive_avgpool(x, 1, name="avgpool")
    x = net.flatten(x, name="flatten")
    net.linear(x, num_classes, name="classifier")


def densenet_bc_cifar(net, depth: int, growth_rate: int, compression: float = 0.5, num_classes: int = 10):
    """The paper's CIFAR DenseNet-BC: 3x3 conv to 2k channels, three dense blocks of (depth - 4) / 6
    bottleneck layers with compressing transitions, BN-ReLU, 8x8 global pooling, FC (Sec. 3 and 4.2)."""
    layers_per_block = (depth - 4) // 6
    channels = 2 * growth_rate
    x = net.conv(net.input, channels, 3, padding=1, bias=False, name="conv0")
    for i in range(1, 4):
        with net.scope(f"denseblock{i}"):
            x = dense_block(net, x, layers_per_block, growth_rate)
        channels += layers_per_block * growth_rate
        if i != 3:
            channels = int(channels * compression)
            with net.scope(f"transition{i}"):
                x = transition(net, x, channels)
    x = net.relu(net.batchnorm(x, name="norm5"), inplace=True, name="relu")
    x = net.adaptive_avgpool(x, 1, name="avgpool")
    x = net.flatten(x, name="flatten")
    net.linear(x, num_classes, name="classifier")


for _name, (_k, _blocks, _init) in TORCHVISION_CONFIGS.items():
    register(_name, source=TORCHVISION.format(_name), input=(3, 224, 224), family="DenseNet",
             torchvision=_name, description=f"DenseNet-BC, growth rate {_k}, dense blocks {list(_blocks)}",
             growth_rate=_k, block_config=_blocks, num_init_features=_init)(densenet)


def _cifar_entry(match):
    from . import ZooEntry

    depth, k = int(match.group(1)), int(match.group(2))
    if depth < 10 or (depth - 4) % 6:
        from ...errors import UnknownModelError

        raise UnknownModelError(f"densenet-bc-{depth}-{k}: DenseNet-BC depth must be 6n + 4 with n >= 1 "
                                "(e.g. densenet-bc-100-12)")
    return ZooEntry(f"densenet-bc-{depth}-{k}", densenet_bc_cifar,
                    PAPER + ", Sec. 4.2 and Table 2 (CIFAR)", (3, 32, 32), "DenseNet",
                    f"CIFAR DenseNet-BC, L = {depth}, k = {k}", options={"depth": depth, "growth_rate": k})


register_pattern(r"densenet-bc-([0-9]+)-([0-9]+)", _cifar_entry,
                 ("densenet-bc-100-12", "densenet-bc-250-24", "densenet-bc-190-40"))
_example = _cifar_entry(re.fullmatch(r"densenet-bc-([0-9]+)-([0-9]+)", "densenet-bc-100-12"))
register(_example.name, source=_example.source, input=_example.input, family=_example.family,
         description=_example.description, **_example.options)(_example.build)  # so that `list` shows one


@register("dense-block", source=TORCHVISION.format("densenet121") + ", features.denseblock1",
          input=(64, 56, 56), family="DenseNet",
          description="dense block: 6 BN-ReLU-1x1-BN-ReLU-3x3 layers, growth rate 32, all concatenated")
def dense_block_module(net, num_layers: int = 6, growth_rate: int = 32):
    dense_block(net, net.input, num_layers, growth_rate)


@register("transition", source=TORCHVISION.format("densenet121") + ", features.transition1",
          input=(256, 56, 56), family="DenseNet",
          description="transition: BN-ReLU, 1x1 conv halving the channels, 2x2 average pooling")
def transition_module(net, out_channels: int = 128):
    transition(net, net.input, out_channels)
