"""LeNet-5 (LeCun, Bottou, Bengio, Haffner, 1998)."""

from __future__ import annotations

from . import register

LENET_SOURCE = "LeCun et al., Gradient-Based Learning Applied to Document Recognition, Proc. IEEE 1998"


@register("lenet5", source=LENET_SOURCE, input=(1, 32, 32), family="LeNet",
          description="LeNet-5 in its common form: C3 fully connected, plain average pooling, linear output")
def lenet5(net):
    """C1 conv 5x5 6, S2 pool, C3 conv 5x5 16, S4 pool, C5 conv 5x5 120, F6 84, output 10; tanh."""
    net.notes.append("The 1998 paper's C3 connects each map to a subset of S2's maps, its S2/S4 have a "
                     "trainable coefficient and bias per map, and its output is RBF units; this entry uses "
                     "the common simplification (full C3, plain average pooling, a linear output).")
    x = net.input
    x = net.tanh(net.conv(x, 6, 5, name="c1"), name="c1_tanh")
    x = net.avgpool(x, 2, 2, name="s2")
    x = net.tanh(net.conv(x, 16, 5, name="c3"), name="c3_tanh")
    x = net.avgpool(x, 2, 2, name="s4")
    x = net.tanh(net.conv(x, 120, 5, name="c5"), name="c5_tanh")
    x = net.flatten(x, name="flatten")
    x = net.tanh(net.linear(x, 84, name="f6"), name="f6_tanh")
    net.linear(x, 10, name="output")
