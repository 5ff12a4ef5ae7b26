"""ZFNet (Zeiler and Fergus, 2013): AlexNet with a 7x7 stride-2 first layer."""

from __future__ import annotations

from . import register

SOURCE = "Zeiler, Fergus, Visualizing and Understanding Convolutional Networks, ECCV 2014 (arXiv 2013), Fig. 3"


@register("zfnet", source=SOURCE, input=(3, 224, 224), family="ZFNet",
          description="7x7/2 conv1, 5x5/2 conv2, 384-384-256 conv3-5, single tower")
def zfnet(net):
    """Fig. 3 of the paper; paddings and ceil-mode pools chosen so that every size matches the figure."""
    net.notes.append("Fig. 3 gives the sizes 110, 55, 26, 13, 13, 13, 6 but not the paddings: conv1 pads 1, "
                     "pools 1 and 2 round up (Caffe's ceil mode), conv3-5 pad 1; these reproduce the figure.")
    x = net.input
    x = net.relu(net.conv(x, 96, 7, 2, 1, name="conv1"), name="relu1")
    x = net.maxpool(x, 3, 2, ceil_mode=True, name="pool1")
    x = net.lrn(x, 5, name="norm1")
    x = net.relu(net.conv(x, 256, 5, 2, name="conv2"), name="relu2")
    x = net.maxpool(x, 3, 2, ceil_mode=True, name="pool2")
    x = net.lrn(x, 5, name="norm2")
    x = net.relu(net.conv(x, 384, 3, padding=1, name="conv3"), name="relu3")
    x = net.relu(net.conv(x, 384, 3, padding=1, name="conv4"), name="relu4")
    x = net.relu(net.conv(x, 256, 3, padding=1, name="conv5"), name="relu5")
    x = net.maxpool(x, 3, 2, name="pool5")
    x = net.flatten(x, name="flatten")
    x = net.dropout(net.relu(net.linear(x, 4096, name="fc6"), name="relu6"), name="drop6")
    x = net.dropout(net.relu(net.linear(x, 4096, name="fc7"), name="relu7"), name="drop7")
    net.softmax(net.linear(x, 1000, name="fc8"), name="prob")
