"""Transposed convolution, upsampling, explicit padding and conv padding='same': arithmetic written out,
symbolic sizes equal to the numeric run, and one-line errors for what torch refuses."""

from __future__ import annotations

import pytest
import sympy

import archcalc
from archcalc import Net
from archcalc.errors import ArchcalcError


def one_layer(input, method, *args, **kwargs):
    net = Net("t", input=input)
    getattr(net, method)(net.input, *args, name="x", **kwargs)
    return archcalc.analyze(net.graph()).layer("x")


@pytest.mark.parametrize("input, kwargs, sizes, params, macs", [
    ((4, 7), dict(kernel=3, stride=2, dims=1), [(7 - 1) * 2 + 2 + 1], 4 * 6 * 3 + 6, 7 * 4 * 6 * 3),
    ((4, 16, 16), dict(kernel=2, stride=2), [(16 - 1) * 2 + 1 + 1] * 2, 4 * 6 * 4 + 6, 256 * 4 * 6 * 4),
    ((4, 8, 9), dict(kernel=3, stride=2, padding=1, output_padding=1),
     [(8 - 1) * 2 - 2 + 2 + 1 + 1, (9 - 1) * 2 - 2 + 2 + 1 + 1], 4 * 6 * 9 + 6, 72 * 4 * 6 * 9),
    ((4, 5, 5), dict(kernel=3, stride=1, dilation=2, output_padding=1),
     [(5 - 1) * 1 + 2 * (3 - 1) + 1 + 1] * 2, 4 * 6 * 9 + 6, 25 * 4 * 6 * 9),
    ((4, 3, 4, 4), dict(kernel=[1, 2, 2], stride=[1, 2, 2], groups=2, bias=False),
     [3, 8, 8], 4 * 3 * 4, 48 * 4 * 3 * 4),
])
def test_conv_transpose_arithmetic(input, kwargs, sizes, params, macs):
    x = one_layer(input, "conv_transpose", 6, **kwargs)
    assert x.out_shape.as_list() == [6, *sizes]
    assert x.params == params and x.macs == macs  # MACs: input positions x kernel x in x out/groups


def test_conv_transpose_derivation_and_symbolic():
    x = one_layer((3, 8, 8), "conv_transpose", 4, 3, stride=2, padding=1, output_padding=1)
    assert x.derivation == "(8 - 1)*2 - 2*1 + 2 + 1 + 1 = 16"
    H, W = sympy.symbols("H W", positive=True, integer=True)
    sym = one_layer((3, "H", "W"), "conv_transpose", 4, 3, stride=2, padding=1, output_padding=1)
    assert sym.derivation.startswith("H: (H - 1)*2 - 2*1 + 2 + 1 + 1 = 2*H; W: ")
    assert sym.out_shape.spatial[0].subs(H, 8) == 16 and sym.macs.subs({H: 8, W: 8}) == x.macs


def test_conv_transpose_field():
    net = Net("t", input=(1, 16))
    x = net.conv_transpose(net.input, 1, 1, dims=1, name="same")  # stride 1 is a flipped conv: exact
    net.conv_transpose(x, 1, 3, stride=2, dims=1, name="up")
    report = archcalc.analyze(net.graph())
    assert report.layer("same").rf.size == (1,) and not report.layer("same").notes
    up = report.layer("up")
    assert up.rf.size == (2,) and up.rf.jump == (0.5,)  # ceil(3/2) input units, two outputs per input
    assert any("approximate" in str(n) for n in up.notes)


@pytest.mark.parametrize("input, kwargs, sizes, other", [
    ((2, 5), dict(size=9, mode="linear", dims=1), [9], 2 * 9 * 3),
    ((2, 7, 7), dict(scale=2), [14, 14], 0),
    ((2, 7, 7), dict(scale=1.5, mode="bilinear"), [10, 10], 2 * 100 * 7),  # floor(7 * 1.5) = 10
    ((2, 4, 5), dict(size=[6, 10], mode="bicubic"), [6, 10], 2 * 60 * 31),
    ((2, 2, 3, 3), dict(scale=[1, 2, 2], mode="trilinear"), [2, 6, 6], 2 * 72 * 15),
])
def test_upsample_arithmetic(input, kwargs, sizes, other):
    x = one_layer(input, "upsample", **kwargs)
    assert x.out_shape.as_list() == [2, *sizes] and x.macs == 0 and x.params == 0 and x.other_ops == other


def test_upsample_derivation_and_symbolic():
    assert one_layer((2, 7, 7), "upsample", scale=1.5).derivation == "nearest: 7*1.5 = 10.5 -> 10 (floor)"
    H = sympy.Symbol("H", positive=True, integer=True)
    sym = one_layer((2, "H", "H"), "upsample", scale=1.5)
    assert sym.out_shape.spatial[0].subs(H, 7) == 10 and sym.out_shape.spatial[0].subs(H, 8) == 12


@pytest.mark.parametrize("pads, sizes, derivation", [
    ([[1, 2], [3, 0]], [10 + 1 + 2, 10 + 3], "H: 10 + 1 + 2 = 13; W: 10 + 3 + 0 = 13"),
    (1, [12, 12], "10 + 1 + 1 = 12"),
    ([[-2, 1], [0, 0]], [10 - 2 + 1, 10], "H: 10 - 2 + 1 = 9; W: 10 + 0 + 0 = 10"),  # negative crops
])
def test_pad_arithmetic(pads, sizes, derivation):
    x = one_layer((3, 10, 10), "pad", pads)
    assert x.out_shape.as_list() == [3, *sizes] and x.derivation == derivation
    assert x.macs == 0 and x.other_ops == 0 and x.activation_elems == 3 * sizes[0] * sizes[1]


def test_pad_moves_the_field_start():
    net = Net("t", input=(1, 10, 10))
    net.pad(net.input, [[2, 0], [0, 0]], name="x")
    assert archcalc.analyze(net.graph()).layer("x").rf.start == (0.5 - 2, 0.5)


@pytest.mark.parametrize("kernel, dilation, left, right", [(3, 1, 1, 1), (4, 1, 1, 2), (4, 2, 3, 3), (2, 3, 1, 2)])
def test_same_padding(kernel, dilation, left, right):
    x = one_layer((3, 20, 20), "conv", 5, kernel, padding="same", dilation=dilation)
    k_eff = dilation * (kernel - 1) + 1
    assert left + right == dilation * (kernel - 1) and x.out_shape.as_list() == [5, 20, 20]
    assert x.derivation == f"(20 + {left} + {right} - {k_eff})/1 + 1 = 20 (same)"
    assert x.macs == 400 * 5 * 3 * kernel ** 2
    assert x.rf.start == (0.5 + (k_eff - 1) / 2 - left,) * 2  # the left padding alone sets the start


def test_same_padding_symbolic():
    x = one_layer((3, "H", "W"), "conv", 5, 4, padding="same")
    assert str(x.out_shape) == "5xHxW" and x.derivation.startswith("H: (H + 1 + 2 - 4)/1 + 1 = H (same); W: ")


@pytest.mark.parametrize("method, args, kwargs, message", [
    ("conv_transpose", (4, 3), dict(stride=2, output_padding=2), "output_padding 2 must be smaller"),
    ("upsample", (), dict(size=8, scale=2), "exactly one of size and scale"),
    ("upsample", (), dict(scale=2, mode="bilinear", dims=1), "mode 'bilinear' works on 2-D inputs"),
    ("conv", (4, 3), dict(stride=2, padding="same"), "padding 'same' needs stride 1"),
    ("pad", ([[-6, -5]],), dict(), "leaves -1 of 10 positions"),
    ("pad", ([1, 2],), dict(), "pads must be [[before, after], ...]"),
])
def test_bad_inputs_fail_in_one_line(method, args, kwargs, message):
    input = (3, 10) if method in ("pad", "upsample") and kwargs.get("dims") == 1 or args == ([[-6, -5]],) \
        else (3, 10, 10)
    with pytest.raises(ArchcalcError) as err:
        one_layer(input, method, *args, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)
