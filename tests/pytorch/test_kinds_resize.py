"""Transposed convolution, upsampling, padding and conv padding='same' checked by verify against the torch
module built from the graph: shapes, parameters, MACs (FlopCounterMode and fvcore), activation and saved
bytes, at batch 1 and 2."""

from __future__ import annotations

import pytest

from archcalc import Net
from archcalc.pytorch.verify import verify


def double_conv(net, x, channels, name):
    with net.scope(name):
        x = net.relu(net.conv(x, channels, 3, padding=1, name="conv1"), name="relu1")
        return net.relu(net.conv(x, channels, 3, padding=1, name="conv2"), name="relu2")


def unet():
    """A small U-Net: two down stages (conv + maxpool), a bottleneck, two up stages (one transposed conv, one
    bilinear upsample + conv), skips joined by concat."""
    net = Net("unet", input=(3, 32, 32))
    skip1 = double_conv(net, net.input, 8, "down1")
    skip2 = double_conv(net, net.maxpool(skip1, 2, name="pool1"), 16, "down2")
    x = double_conv(net, net.maxpool(skip2, 2, name="pool2"), 32, "bottleneck")
    x = net.conv_transpose(x, 16, 2, stride=2, name="up2")
    x = double_conv(net, net.concat([skip2, x], name="cat2"), 16, "dec2")
    x = net.upsample(x, scale=2, mode="bilinear", align_corners=False, name="up1")
    x = net.conv(x, 8, 1, name="up1conv")
    x = double_conv(net, net.concat([skip1, x], name="cat1"), 8, "dec1")
    net.conv(x, 2, 1, name="head")
    return net


def pads_and_same():
    net = Net("same", input=(3, 17, 20))
    x = net.pad(net.input, [[1, 2], [0, 3]], value=0.5, name="pad")
    x = net.conv(x, 8, 3, padding="same", name="odd")
    x = net.conv(x, 8, 4, padding="same", name="even")  # odd total padding: torch pads a copy on the right
    x = net.conv(x, 8, [4, 3], padding="same", dilation=2, name="dilated")
    x = net.pad(x, [[-1, 0], [2, -3]], name="crop")
    x = net.upsample(x, size=[30, 25], mode="bicubic", name="resize")
    x = net.upsample(x, scale=1.5, name="nearest")
    return net.conv_transpose(x, 4, 3, stride=2, padding=1, output_padding=1, dilation=1, groups=4,
                              name="up") and net


def audio():
    net = Net("audio", input=(2, 50))
    x = net.conv(net.input, 4, 4, padding="same", dims=1, name="same")
    x = net.pad(x, [[3, 1]], name="pad")
    x = net.conv_transpose(x, 4, 5, stride=3, output_padding=2, dims=1, name="up")
    return net.upsample(x, scale=1.7, mode="linear", dims=1, name="lin") and net


def video():
    net = Net("video", input=(2, 4, 8, 8))
    x = net.conv(net.input, 4, 2, padding="same", dims=3, name="same")
    x = net.conv_transpose(x, 4, [1, 2, 2], stride=[1, 2, 2], dilation=[2, 1, 1], name="up")
    x = net.upsample(x, scale=[1, 2, 2], mode="trilinear", name="tri")
    return net.pad(x, [[0, 1], [1, 1], [2, 0]], name="pad") and net


@pytest.mark.parametrize("make", [unet, pads_and_same, audio, video], ids=["unet", "2-D", "1-D", "3-D"])
@pytest.mark.parametrize("batch", [1, 2])
def test_every_figure_equals_torch(make, batch):
    result = verify(make().graph(), batch=batch)
    assert result.ok, [c for c in result.checks if not c.ok][:3]
