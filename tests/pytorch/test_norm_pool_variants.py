"""Norms written op by op (timm's rms_norm2d, EvoNorm's group std, SimpleNorm's var), BlurPool's fixed filter
and reflect pad, amax, list indexing, and parameters softmaxed, tiled or interpolated: the new kinds' twins
checked by verify (shape, parameters, MACs, activation and saved bytes measured in torch), the importer's
reading of each against the module's own parameters and FlopCounterMode, and a few real timm models."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc import Net
from archcalc.errors import ArchcalcError
from archcalc.pytorch.verify import verify


def statistics_net():
    net = Net("stats", input=(3, 8, 10))
    x = net.conv(net.input, 8, 3, padding=1)
    v = net.reduce_var(x, dim=[2, 3], keepdim=True, correction=0)
    s = net.sqrt(v)
    r = net.rsqrt(net.scalar(v, "add", 1e-5))
    x = net.mul([net.mul([x, r]), s])
    m = net.reduce_max(x, dim=1, keepdim=True)
    n = net.reduce_max(x, dim=[2, 3], op="min")
    d = net.reduce_var(x, dim=1, root=True)
    x = net.mul([x, m])
    return net, (n, d)


def grouped_std_net():
    """EvoNorm's group std: (8, 6, 6) as 2 groups x 4 x 6 x 6, the std per group expanded back and read as
    (8, 6, 6) (a copy: the stretched axes do not merge as a view)."""
    net = Net("group-std", input=(3, 6, 6))
    x = net.conv(net.input, 8, 3, padding=1)
    g = net.reshape(x, [2, 4, 6, 6])
    v = net.reduce_var(g, dim=[2, 3, 4], keepdim=True, correction=0)
    e = net.expand(net.sqrt(v), [2, 4, 6, 6])
    e = net.reshape(e, [8, 6, 6])
    return net, e


def blur_net():
    net = Net("blur", input=(4, 9, 9))
    x = net.border_pad(net.input, 1, mode="reflect")
    x = net.buffer_conv(x, 4, 3, stride=2, groups=4)
    y = net.border_pad(x, [[1, 2], [0, 1]], mode="replicate")
    y = net.border_pad(y, 1, mode="circular")
    y = net.buffer_conv(y, 4, 3, groups=4, buffers=9, bias=True)
    t = net.flatten(y, start_dim=2)
    t = net.take(t, 2, [5, 0, 3, 1])
    return net, t


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("make", [statistics_net, grouped_std_net, blur_net], ids=lambda f: f.__name__)
def test_verify(make, batch):
    result = verify(make()[0].graph(), batch=batch)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]


def _layer(report, kind, i=0):
    return [layer for layer in report.layers if layer.kind == kind][i]


def test_statistics_figures_written_out():
    """8x8x10 input to the statistics: var over H, W 4 ops per element and 2 per output; std adds a root
    per output; a max one comparison per element; sqrt 1 op per element, rsqrt 2."""
    report = archcalc.analyze(statistics_net()[0].graph())
    var = _layer(report, "reduce_var")
    assert var.out_shape.as_list() == [8, 1, 1] and var.other_ops == 4 * 640 + 2 * 8 and var.params == 0
    std = _layer(report, "reduce_var", 1)
    assert std.out_shape.as_list() == [8, 10] and std.other_ops == 4 * 640 + 3 * 80
    assert _layer(report, "reduce_max").out_shape.as_list() == [1, 8, 10]
    assert _layer(report, "reduce_max").other_ops == 640
    assert _layer(report, "reduce_max", 1).out_shape.as_list() == [8]
    assert _layer(report, "sqrt").other_ops == 8 and _layer(report, "rsqrt").other_ops == 16
    assert report.totals["macs"] == 8 * 27 * 80


def test_expand_is_a_view_and_the_reshape_after_it_a_copy():
    report = archcalc.analyze(grouped_std_net()[0].graph())
    expand = _layer(report, "expand")
    assert expand.out_shape.as_list() == [2, 4, 6, 6] and expand.activation_elems == 0 and expand.other_ops == 0
    reshape = _layer(report, "reshape", 1)
    assert reshape.activation_elems == 8 * 6 * 6  # torch copies: no strides make (8, 6, 6) of a stride-0 view


def test_blur_figures_written_out():
    """The buffer conv: MACs as a depthwise 3x3 conv (9 per output), the filter buffers, no parameter but the
    bias."""
    report = archcalc.analyze(blur_net()[0].graph())
    first, second = _layer(report, "buffer_conv"), _layer(report, "buffer_conv", 1)
    assert first.out_shape.as_list() == [4, 5, 5] and first.macs == 4 * 25 * 9 and first.params == 0
    assert second.params == 4 and second.buffers == 9  # the bias; one 3x3 filter for every channel, a buffer
    assert first.buffers == 4 * 9
    assert _layer(report, "border_pad").out_shape.as_list() == [4, 11, 11]
    assert _layer(report, "border_pad", 1).out_shape.as_list() == [4, 8, 6]
    assert _layer(report, "take").out_shape.as_list() == [4, 4]


@pytest.mark.parametrize("build", [
    lambda n: n.reduce_var(n.input, dim=1, correction=-1), lambda n: n.reduce_max(n.input, dim=1, op="mean"),
    lambda n: n.reduce_var(n.input, dim=0), lambda n: n.expand(n.input, [3, 0, 4]),
    lambda n: n.border_pad(n.input, 1, mode="edge"), lambda n: n.border_pad(n.input, -1),
    lambda n: n.take(n.input, 1, []), lambda n: n.buffer_conv(n.input, 3, 3, buffers=0)])
def test_builder_refuses_bad_fields(build):
    with pytest.raises(ArchcalcError):
        build(Net("bad", input=(3, 4, 4)))


@pytest.mark.parametrize("build", [lambda n: n.expand(n.input, [3, 8, 4]), lambda n: n.take(n.input, 2, [0, 4]),
                                   lambda n: n.border_pad(n.input, 4)])
def test_shapes_refused(build):
    """expand only stretches size-1 axes; take's indices lie in the axis; a reflect pad is less than the axis."""
    net = Net("bad", input=(3, 4, 4))
    build(net)
    with pytest.raises(ArchcalcError):
        archcalc.analyze(net.graph())


# --- the importer, against torch ------------------------------------------------------------------------------
class Norms(nn.Module):
    """timm's rms_norm2d, SimpleNorm2d's x / sqrt(var + eps) and EvoNorm-S0's group std, written as timm does."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.weight = nn.Parameter(torch.ones(8))
        self.v = nn.Parameter(torch.ones(8))
        self.fc = nn.Conv2d(8, 6, 1)

    def forward(self, x):
        x = self.conv(x)
        v = torch.mean(x.pow(2), dim=1, keepdim=True)
        x = x * torch.rsqrt(v + 1e-6) * self.weight.reshape(1, -1, 1, 1)
        x = x / torch.sqrt(torch.var(x, dim=1, unbiased=False, keepdim=True) + 1e-5)
        B, C, H, W = x.shape
        g = x.reshape(B, 2, C // 2, H, W)
        std = g.float().var(dim=(2, 3, 4), unbiased=False, keepdim=True).add(1e-5).sqrt().to(x.dtype)
        std = std.expand(g.shape).reshape(B, C, H, W)
        x = x * (x * self.v.view(1, -1, 1, 1)).sigmoid() / std
        return self.fc(x).amax(dim=(2, 3))


class Blur(nn.Module):
    """timm's BlurPool2d twice (a 3x3, then a 5x5 binomial filter per channel, each after a reflect pad), and
    an index list along the channels."""

    def __init__(self):
        super().__init__()
        from archcalc.sources.torchvision_import import import_torchvision

        import_torchvision()  # timm imports torchvision: the CPU-torch workaround first
        from timm.layers import BlurPool2d

        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.blur = BlurPool2d(8, filt_size=3, stride=2)
        self.blur5 = BlurPool2d(8, filt_size=5, stride=2)

    def forward(self, x):
        return self.blur5(self.blur(self.conv(x)))[:, [7, 0, 3]]


class Weighted(nn.Module):
    """Parameters alone softmaxed (EfficientViM's head weights), tiled and interpolated (Hiera's windowed
    position embedding), then used: counted once, where the activation meets them; x - P and x / P (a bias
    and a gain), and x over a table made from a buffer (a constant)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 2, stride=2)
        self.weights = nn.Parameter(torch.ones(4))
        self.win = nn.Parameter(torch.zeros(1, 4, 2, 2))
        self.pos = nn.Parameter(torch.zeros(1, 4, 3, 3))
        self.shift, self.scale = nn.Parameter(torch.zeros(4, 1, 1)), nn.Parameter(torch.ones(4, 1, 1))
        self.register_buffer("var", torch.ones(4, 1, 1), persistent=False)

    def forward(self, x):
        x = self.conv(x) * self.weights.softmax(-1).view(1, -1, 1, 1)
        pos = self.win.tile((2, 3)) + F.interpolate(self.pos, size=(4, 6), mode="bicubic")
        x = (x + pos - self.shift) / self.scale
        return x / (self.var ** 0.5 + 1e-8)  # a table fx computes while tracing (CSATv2's DCT std)


def _torch(module, shape):
    with FlopCounterMode(display=False) as counter:
        out = module(torch.randn(1, *shape))
    return counter.get_total_flops() // 2, list(out.shape[1:])


@pytest.mark.parametrize("make, shape", [(Norms, (3, 7, 9)), (Blur, (3, 12, 14)), (Weighted, (3, 8, 12))])
def test_import_matches_torch(make, shape):
    module = make().eval()
    report = archcalc.analyze(module, input=shape)
    macs, out = _torch(module, shape)
    assert report.totals["params"] == sum(p.numel() for p in module.parameters())
    assert report.totals["macs"] == macs
    assert list(report.layers[-1].out_shape.as_list()) == out


def test_blur_import_counts_the_filters_as_buffers():
    """BlurPool2d(8, 3): an 8x1x3x3 buffer, 9 MACs per output; BlurPool2d(8, 5): 8x1x5x5, 25 MACs per output;
    the reflect pads before each (1 and 2 a side: 12x14 -> 14x16 -> 6x7 -> 10x11 -> 3x4)."""
    report = archcalc.analyze(Blur().eval(), input=(3, 12, 14))
    first, second = _layer(report, "buffer_conv"), _layer(report, "buffer_conv", 1)
    assert first.macs == 8 * 6 * 7 * 9 and first.params == 0 and first.buffers == 8 * 9
    assert second.macs == 8 * 3 * 4 * 25 and second.params == 0 and second.buffers == 8 * 25
    assert [layer.kind for layer in report.layers].count("border_pad") == 2


def test_a_list_index_of_the_batch_stays_refused():
    class Batch(nn.Module):
        def forward(self, x):
            return x[[0, 0]]

    with pytest.raises(ArchcalcError, match="batch"):
        archcalc.analyze(Batch(), input=(3, 4, 4))


@pytest.mark.parametrize("name", ["convnext_zepto_rms", "test_efficientnet_evos", "efficientvim_m1"])
def test_timm_models_at_both_sizes(name):
    from archcalc.pytorch.coverage import check

    result = check(f"timm:{name}")
    assert result.status == "ok", result
    assert result.odd == "ok at 3x199x199"


def test_parameters_subtracted_and_divided_are_a_bias_and_a_scale():
    report = archcalc.analyze(Weighted().eval(), input=(3, 8, 12))
    kinds = [layer.kind for layer in report.layers]
    assert kinds == ["conv", "scale", "bias", "bias", "scale", "constant"]  # a gain per channel: scale
    assert [layer.params for layer in report.layers if layer.kind == "bias"] == [4 * 2 * 2 + 4 * 3 * 3, 4]


class PositionalVar(nn.Module):
    """torch.var(x, dim, unbiased) and torch.std(x, dim, unbiased, keepdim), the old positional form."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        return torch.var(x, 1, False) + torch.std(x, 1, True, True)[:, 0]


def test_positional_unbiased_and_keepdim():
    report = archcalc.analyze(PositionalVar(), input=(3, 5, 6))
    var, std = _layer(report, "reduce_var"), _layer(report, "reduce_var", 1)
    assert var.out_shape.as_list() == [5, 6] and std.out_shape.as_list() == [1, 5, 6]
    from archcalc.sources.torch_fx import import_module

    attrs = [layer.attrs for layer in import_module(PositionalVar(), "pv", (3, 5, 6)).layers
             if layer.kind == "reduce_var"]
    assert [(a.correction, a.keepdim, a.root) for a in attrs] == [(0, False, False), (1, True, True)]
