"""Deep Networks with Stochastic Depth (Huang, Sun, Liu, Sedra, Weinberger, ECCV 2016).

The network is He et al.'s CIFAR ResNet: a 3x3 conv to 16 channels, three stages of n basic blocks (16,
32, 64 channels), global average pooling, FC; depth 6n + 2 (110 for n = 18, the paper's main model).
Shape-changing shortcuts are parameter-free (He et al.'s option A, as in the authors' code): a 1x1 average
pool with stride 2, then zero channels appended.

During training block l (of L) survives with probability p_l = 1 - (l / L)(1 - p_L), the paper's linear
decay rule (Eq. 4); a dropped block's residual branch is skipped, its shortcut kept. At test time every
block runs: the report is the test-time cost. The survival probabilities go into the graph's extras, from
which `archcalc.analyses.drop_path` computes the expected training-time MACs and depth.
"""

from __future__ import annotations


from fractions import Fraction

from . import ZooEntry, register_family
from ...errors import UnknownModelError
from ...core.ir import PadChannels

PAPER = "Huang, Sun, Liu, Sedra, Weinberger, Deep Networks with Stochastic Depth, ECCV 2016"


def survival_probabilities(blocks: int, p_last: float = 0.5) -> list:
    """p_l = 1 - (l / L)(1 - p_L) for l = 1..L: the linear decay rule (the paper's Eq. 4)."""
    p_last = Fraction(p_last).limit_denominator(10**6)
    return [float(1 - Fraction(l, blocks) * (1 - p_last)) for l in range(1, blocks + 1)]


def zero_pad_shortcut(net, x, in_channels: int, out_channels: int, stride: int) -> str:
    """Identity, or (option A) a strided 1x1 average pool and zero channels up to `out_channels`."""
    if stride == 1 and in_channels == out_channels:
        return x
    with net.scope("shortcut"):
        if stride != 1:
            x = net.avgpool(x, 1, stride, name="pool")
        return net.layer("pad_channels", PadChannels(out_channels), x, name="pad")


def cifar_basic_block(net, x, in_channels: int, out_channels: int, stride: int = 1) -> tuple:
    """conv-BN-ReLU-conv-BN plus a zero-padded shortcut, ReLU after the add. Returns (output, add node)."""
    y = net.relu(net.batchnorm(net.conv(x, out_channels, 3, stride, 1, bias=False, name="conv1"), name="bn1"),
                 inplace=True, name="relu1")
    y = net.batchnorm(net.conv(y, out_channels, 3, 1, 1, bias=False, name="conv2"), name="bn2")
    add = net.add([y, zero_pad_shortcut(net, x, in_channels, out_channels, stride)], inplace=True, name="add")
    return net.relu(add, inplace=True, name="relu2"), add


def stochastic_depth_resnet(net, depth: int = 110, p_last: float = 0.5, num_classes: int = 10):
    """He et al.'s CIFAR ResNet of `depth` = 6n + 2 layers, with the linear-decay survival schedule in
    net.extras["drop_path"] (keep probability of each add's inputs: residual branch, shortcut)."""
    n = (depth - 2) // 6
    x = net.relu(net.batchnorm(net.conv(net.input, 16, 3, 1, 1, bias=False, name="conv1"), name="bn1"),
                 inplace=True, name="relu1")
    survival = survival_probabilities(3 * n, p_last)
    keep, channels, index = {}, 16, 0
    for stage, width in enumerate((16, 32, 64), start=1):
        for i in range(n):
            stride = 2 if stage > 1 and i == 0 else 1
            with net.scope(f"layer{stage}.{i}"):
                x, add = cifar_basic_block(net, x, channels, width, stride)
            keep[add] = (survival[index], 1.0)  # the residual branch survives with p_l; the shortcut always
            channels, index = width, index + 1
    x = net.adaptive_avgpool(x, 1, name="avgpool")
    net.linear(net.flatten(x, name="flatten"), num_classes, name="fc")
    net.extras["drop_path"] = {"scheme": f"stochastic depth, linear decay to p_L = {p_last}", "keep": keep}


def _entry(match) -> ZooEntry:
    depth = int(match.group(1))
    p_last = float(match.group(2)) if match.group(2) else 0.5
    if depth < 8 or (depth - 2) % 6:
        raise UnknownModelError(f"stochastic-depth-{depth}: depth must be 6n + 2 (e.g. 110, 1202)")
    if not 0 < p_last <= 1:
        raise UnknownModelError(f"stochastic-depth-{depth}: p_L must be in (0, 1], got {p_last}")
    suffix = f"-p{match.group(2)}" if match.group(2) else ""
    return ZooEntry(f"stochastic-depth-{depth}{suffix}", stochastic_depth_resnet,
                    PAPER + ", Sec. 4 (CIFAR-10, 110 layers, linear decay, p_L = 0.5)", (3, 32, 32),
                    "Stochastic depth", f"CIFAR ResNet-{depth}, 3 x {(depth - 2) // 6} basic blocks, survival "
                    f"decaying linearly to p_L = {p_last} (test-time cost shown)",
                    options={"depth": depth, "p_last": p_last})



register_family(r"stochastic-depth-([0-9]+)(?:-p([01](?:\.[0-9]+)?))?", _entry, ("stochastic-depth-110",))
