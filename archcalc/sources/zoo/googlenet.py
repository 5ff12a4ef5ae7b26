"""GoogLeNet (Szegedy et al., 2014): torchvision's version, the paper's, and the Inception module alone."""

from __future__ import annotations

from . import register

PAPER = "Szegedy et al., Going Deeper with Convolutions, CVPR 2015 (arXiv 2014), Table 1"
TORCHVISION = "torchvision.models.googlenet (batch norm, 3x3 in the '5x5' branch, aux_logits={})"
LECTURE = "CS231n lecture 9 (the lecture note): Inception module on a 28x28x256 input"

# (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) per module, Table 1 of the paper
INCEPTIONS = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def unit(net, x, out, kernel, padding=0, bn=False, name="", stride=1):
    """A conv and its ReLU; torchvision's BasicConv2d (conv without bias, BN eps 1e-3, ReLU) when bn."""
    if not bn:
        return net.relu(net.conv(x, out, kernel, stride, padding, name=name), name=f"{name}_relu")
    with net.scope(name):
        x = net.conv(x, out, kernel, stride, padding, bias=False, name="conv")
        x = net.batchnorm(x, eps=1e-3, name="bn")
        return net.relu(x, inplace=True, name="relu")


def inception(net, x, ch1, ch3r, ch3, ch5r, ch5, pool_proj, k5=5, bn=False):
    """Four parallel branches joined by concat; a reduce or projection of None is left out (naive module)."""
    b1 = unit(net, x, ch1, 1, bn=bn, name="branch1")
    with net.scope("branch2"):
        y = unit(net, x, ch3r, 1, bn=bn, name="0") if ch3r else x
        b2 = unit(net, y, ch3, 3, 1, bn=bn, name="1")
    with net.scope("branch3"):
        y = unit(net, x, ch5r, 1, bn=bn, name="0") if ch5r else x
        b3 = unit(net, y, ch5, k5, k5 // 2, bn=bn, name="1")
    with net.scope("branch4"):
        y = net.maxpool(x, 3, 1, 1, ceil_mode=bn, name="0")
        b4 = unit(net, y, pool_proj, 1, bn=bn, name="1") if pool_proj else y
    return net.concat([b1, b2, b3, b4], name="concat")


def aux_head(net, x, name, bn):
    """Auxiliary classifier: pool to 4x4, 1x1 conv 128, FC 1024, dropout 0.7, FC 1000."""
    with net.scope(name):
        if bn:  # torchvision: adaptive pooling to 4x4
            y = net.adaptive_avgpool(x, 4, name="pool")
        else:  # paper: 5x5 average pooling, stride 3
            y = net.avgpool(x, 5, 3, name="pool")
        y = unit(net, y, 128, 1, bn=bn, name="conv")
        y = net.flatten(y, name="flatten")
        y = net.relu(net.linear(y, 1024, name="fc1"), inplace=bn, name="fc1_relu")
        y = net.dropout(y, 0.7, name="dropout")
        y = net.linear(y, 1000, name="fc2")
        if not bn:
            net.softmax(y, name="prob")


def googlenet_body(net, bn: bool, aux: bool):
    """Stem, nine Inception modules, global average pooling, dropout, FC 1000."""
    x = net.input
    k5 = 3 if bn else 5  # torchvision's known deviation: its "5x5" branch uses a 3x3 kernel
    if bn:
        x = unit(net, x, 64, 7, 3, bn=True, name="conv1", stride=2)
        x = net.maxpool(x, 3, 2, ceil_mode=True, name="maxpool1")
        x = unit(net, x, 64, 1, bn=True, name="conv2")
        x = unit(net, x, 192, 3, 1, bn=True, name="conv3")
        x = net.maxpool(x, 3, 2, ceil_mode=True, name="maxpool2")
    else:
        x = unit(net, x, 64, 7, 3, name="conv1", stride=2)
        x = net.maxpool(x, 3, 2, ceil_mode=True, name="pool1")
        x = net.lrn(x, 5, name="norm1")
        x = unit(net, x, 64, 1, name="conv2_reduce")
        x = unit(net, x, 192, 3, 1, name="conv2")
        x = net.lrn(x, 5, name="norm2")
        x = net.maxpool(x, 3, 2, ceil_mode=True, name="pool2")
    for key, cfg in INCEPTIONS.items():
        if key == "4a":
            x = net.maxpool(x, 3, 2, ceil_mode=True, name="maxpool3" if bn else "pool3")
        if key == "5a":  # torchvision pools 2x2 here; the paper's Table 1 says 3x3/2
            x = net.maxpool(x, 2 if bn else 3, 2, ceil_mode=True, name="maxpool4" if bn else "pool4")
        with net.scope(f"inception{key}"):
            x = inception(net, x, *cfg, k5=k5, bn=bn)
        if aux and key in ("4a", "4d"):
            aux_head(net, x, "aux1" if key == "4a" else "aux2", bn)
    x = net.adaptive_avgpool(x, 1, name="avgpool") if bn else net.avgpool(x, 7, 1, name="avgpool")
    x = net.flatten(x, name="flatten")
    x = net.dropout(x, 0.2 if bn else 0.4, name="dropout")
    x = net.linear(x, 1000, name="fc")
    if not bn:
        net.softmax(x, name="prob")


@register("googlenet", source=TORCHVISION.format(False), input=(3, 224, 224), family="GoogLeNet",
          torchvision="googlenet", torchvision_kwargs={"aux_logits": False, "init_weights": False},
          description="torchvision's GoogLeNet, auxiliary classifiers off (its published count)",
          bn=True, aux=False)
@register("googlenet-aux", source=TORCHVISION.format(True), input=(3, 224, 224), family="GoogLeNet",
          torchvision="googlenet", torchvision_kwargs={"aux_logits": True, "init_weights": False},
          description="torchvision's GoogLeNet with its two auxiliary classifiers (training-time heads)",
          bn=True, aux=True)
@register("googlenet-paper", source=PAPER, input=(3, 224, 224), family="GoogLeNet",
          description="the paper's GoogLeNet: 5x5 branches, LRN, no batch norm", bn=False, aux=False)
@register("googlenet-paper-aux", source=PAPER + " and Sec. 5 (auxiliary classifiers)", input=(3, 224, 224),
          family="GoogLeNet", description="the paper's GoogLeNet with its two auxiliary classifiers",
          bn=False, aux=True)
def googlenet(net, bn: bool, aux: bool):
    googlenet_body(net, bn, aux)


@register("inception-naive", source=LECTURE, input=(256, 28, 28), family="GoogLeNet",
          description="naive Inception module: 1x1 128, 3x3 192, 5x5 96, 3x3 max pool")
def inception_naive(net):
    inception(net, net.input, 128, None, 192, None, 96, None)


@register("inception-bottleneck", source=LECTURE, input=(256, 28, 28), family="GoogLeNet",
          description="Inception module with 1x1 reductions to 64 before the 3x3 and 5x5 and after the pool")
def inception_bottleneck(net):
    inception(net, net.input, 128, 64, 192, 64, 96, 64)
