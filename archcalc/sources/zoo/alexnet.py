"""AlexNet: torchvision's single-tower variant, and the two-GPU original of the paper."""

from __future__ import annotations

from . import register

PAPER = "Krizhevsky, Sutskever, Hinton, ImageNet Classification with Deep CNNs, NIPS 2012"
TORCHVISION = "torchvision.models.alexnet (after Krizhevsky, One weird trick..., arXiv:1404.5997, 2014)"


def classifier(net, x):
    """FC6, FC7 (4096 each, ReLU, dropout) and FC8 (1000)."""
    with net.scope("classifier"):
        x = net.dropout(x, name="0")
        x = net.relu(net.linear(x, 4096, name="1"), inplace=True, name="2")
        x = net.dropout(x, name="3")
        x = net.relu(net.linear(x, 4096, name="4"), inplace=True, name="5")
        return net.linear(x, 1000, name="6")


@register("alexnet", source=TORCHVISION, input=(3, 224, 224), family="AlexNet", torchvision="alexnet",
          description="single tower, 64-192-384-256-256 filters, no LRN")
def alexnet(net):
    """torchvision's AlexNet: features.N and classifier.N match its module names."""
    x = net.input
    with net.scope("features"):
        x = net.relu(net.conv(x, 64, 11, 4, 2, name="0"), inplace=True, name="1")
        x = net.maxpool(x, 3, 2, name="2")
        x = net.relu(net.conv(x, 192, 5, padding=2, name="3"), inplace=True, name="4")
        x = net.maxpool(x, 3, 2, name="5")
        x = net.relu(net.conv(x, 384, 3, padding=1, name="6"), inplace=True, name="7")
        x = net.relu(net.conv(x, 256, 3, padding=1, name="8"), inplace=True, name="9")
        x = net.relu(net.conv(x, 256, 3, padding=1, name="10"), inplace=True, name="11")
        x = net.maxpool(x, 3, 2, name="12")
    x = net.adaptive_avgpool(x, 6, name="avgpool")
    x = net.flatten(x, name="flatten")
    classifier(net, x)


@register("alexnet-paper", source=PAPER, input=(3, 227, 227), family="AlexNet",
          description="the 2012 original: 96 conv1 filters, LRN, two-GPU groups, 227x227 input")
def alexnet_paper(net):
    """Conv2, conv4 and conv5 see only their own GPU's half (groups=2); conv3 and the FCs see both."""
    net.notes.append("The paper says 224x224, but its conv1 arithmetic only comes out whole at 227; "
                     "--input 3x224x224 shows the fraction.")
    net.notes.append("Order as in the paper (sec. 3.5): conv, ReLU, LRN, max pool; the lecture draws "
                     "pool before norm.")
    x = net.input
    x = net.relu(net.conv(x, 96, 11, 4, name="conv1"), name="relu1")
    x = net.lrn(x, 5, 1e-4, 0.75, 2.0, name="norm1")
    x = net.maxpool(x, 3, 2, name="pool1")
    x = net.relu(net.conv(x, 256, 5, padding=2, groups=2, name="conv2"), name="relu2")
    x = net.lrn(x, 5, 1e-4, 0.75, 2.0, name="norm2")
    x = net.maxpool(x, 3, 2, name="pool2")
    x = net.relu(net.conv(x, 384, 3, padding=1, name="conv3"), name="relu3")
    x = net.relu(net.conv(x, 384, 3, padding=1, groups=2, name="conv4"), name="relu4")
    x = net.relu(net.conv(x, 256, 3, padding=1, groups=2, name="conv5"), name="relu5")
    x = net.maxpool(x, 3, 2, name="pool5")
    x = net.flatten(x, name="flatten")
    x = net.relu(net.linear(x, 4096, name="fc6"), name="relu6")
    x = net.dropout(x, name="drop6")
    x = net.relu(net.linear(x, 4096, name="fc7"), name="relu7")
    x = net.dropout(x, name="drop7")
    x = net.linear(x, 1000, name="fc8")
    net.softmax(x, name="prob")
