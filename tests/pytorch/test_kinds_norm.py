"""Layer norm, group norm and instance norm against torch: each small graph is built as a torch module and
verify checks every layer's shape, parameters, buffers, MACs, activation bytes and saved-for-backward bytes."""

import pytest

from archcalc import Net
from archcalc.pytorch.verify import verify


def convnext_block():
    """ConvNeXt's block: depthwise 7x7 -> LayerNorm2d -> 1x1 expand x4 -> GELU -> 1x1 back, residual."""
    c = 16
    net = Net("convnext-block", input=(c, 14, 14))
    x = net.conv(net.input, c, 7, padding=3, groups=c, name="dwconv")
    x = net.layernorm(x, channels_first=True, eps=1e-6, name="norm")
    x = net.conv(x, 4 * c, 1, name="pwconv1")
    x = net.act("gelu", x, name="act")
    x = net.conv(x, c, 1, name="pwconv2")
    net.add([x, net.input], name="residual")
    return net


def groupnorm_block():
    net = Net("gn-block", input=(3, 16, 16))
    x = net.conv(net.input, 32, 3, padding=1, bias=False)
    x = net.groupnorm(x, 8)
    x = net.relu(x)
    x = net.conv(x, 32, 3, padding=1, bias=False)
    x = net.groupnorm(x, 32, affine=False)
    return net


def instancenorm_1d():
    net = Net("in-1d", input=(4, 50))
    x = net.conv(net.input, 8, 5, dims=1)
    x = net.instancenorm(x)
    x = net.conv(x, 8, 3, dims=1)
    x = net.instancenorm(x, affine=True, track_running_stats=True)
    return net


def instancenorm_2d():
    net = Net("in-2d", input=(3, 12, 12))
    x = net.conv(net.input, 8, 3, padding=1)
    x = net.instancenorm(x, affine=True)
    x = net.relu(x)
    x = net.conv(x, 8, 3)
    x = net.instancenorm(x, track_running_stats=True)
    return net


def layernorm_flat():
    net = Net("ln-flat", input=(3, 8, 8))
    x = net.conv(net.input, 4, 3)
    x = net.flatten(x)
    x = net.layernorm(x)
    x = net.linear(x, 10)
    x = net.layernorm(x, affine=False)
    return net


def layernorm_spatial():
    net = Net("ln-spatial", input=(3, 6, 10))
    x = net.conv(net.input, 8, 3, padding=1)
    x = net.layernorm(x, axes=1)  # over W
    x = net.conv(x, 8, 1)
    x = net.layernorm(x, axes=2, bias=False)  # over H, W
    x = net.conv(x, 8, 1)
    x = net.layernorm(x, axes=3)  # over C, H, W
    return net


NETS = [convnext_block, groupnorm_block, instancenorm_1d, instancenorm_2d, layernorm_flat, layernorm_spatial]


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("make", NETS, ids=lambda f: f.__name__)
def test_verify(make, batch):
    result = verify(make().graph(), batch=batch)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]
    checked = {(c.layer, c.figure) for c in result.checks}
    assert ("(total)", "saved for backward bytes (saved_tensors_hooks)") in checked
    norms = [s for s in result.layers if s["kind"] in ("layernorm", "groupnorm", "instancenorm")]
    assert norms and all(("output shape" in {f for layer, f in checked if layer == s["layer"]}) for s in norms)


def test_convnext_layernorm_matches_torch_layernorm():
    """The twin of a channels_first layer norm computes what F.layer_norm over channels-last does."""
    import torch
    from torch.nn import functional as F

    from archcalc.pytorch.makers.norm import LayerNorm2d

    torch.manual_seed(0)
    norm = LayerNorm2d(6, 1e-6)
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    x = torch.randn(2, 6, 5, 7)
    expected = F.layer_norm(x.permute(0, 2, 3, 1), (6,), norm.weight, norm.bias, 1e-6).permute(0, 3, 1, 2)
    assert torch.allclose(norm(x), expected, atol=1e-6)
    assert sum(p.numel() for p in norm.parameters()) == 2 * 6
