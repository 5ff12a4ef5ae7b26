"""Constant tables (sources/torch_constants.py): a rotary position embedding built each forward from the
input's size (torch.arange, outer, sin, cos, repeat_interleave) and applied as x * cos + rotate(x) * sin, with
the every-other-channel rotation (x[..., 1::2], negation, stack) and the half rotation (chunk, cat). Checked
against the module's own parameters, torch's FlopCounterMode and output shape, with the constant kind's
figures written out, its twin checked by verify, and real timm RoPE models."""

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archcalc
from archcalc import Net
from archcalc.errors import ArchcalcError
from archcalc.pytorch.verify import verify


def rotate_every_two(x):
    return torch.stack([-x[..., 1::2], x[..., ::2]], -1).reshape(x.shape)


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat([-b, a], dim=-1)


class RopeBlock(nn.Module):
    """Patches -> tokens -> q (one linear); the rotary table from the number of tokens; q rotated; a linear."""

    def __init__(self, half: bool):
        super().__init__()
        self.half = half
        self.patch = nn.Conv2d(3, 16, 2, stride=2)
        self.q = nn.Linear(16, 16)
        self.out = nn.Linear(16, 10)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)  # N x 16
        n = x.shape[1]
        freqs = 1.0 / (10000 ** (torch.arange(0, 16, 2, device=x.device).float() / 16))  # 8
        angles = torch.outer(torch.arange(n, device=x.device).float(), freqs)  # N x 8
        sin, cos = angles.sin().repeat_interleave(2, -1), angles.cos().repeat_interleave(2, -1)  # N x 16
        q = self.q(x)
        q = q * cos + (rotate_half(q) if self.half else rotate_every_two(q)) * sin
        return self.out(q)


def _torch(module, shape):
    with FlopCounterMode(display=False) as counter:
        out = module(torch.randn(1, *shape))
    return counter.get_total_flops() // 2, list(out.shape[1:])


@pytest.mark.parametrize("half", [False, True])
@pytest.mark.parametrize("shape", [(3, 8, 12), (3, 10, 6)])
def test_rope_matches_torch(half, shape):
    module = RopeBlock(half)
    report = archcalc.analyze(module, input=shape)
    macs, out = _torch(module, shape)
    assert report.totals["params"] == sum(p.numel() for p in module.parameters())
    assert report.totals["macs"] == macs
    assert report.layers[-1].out_shape.as_list() == out


class PrefixGqaBlock(nn.Module):
    """timm's rotary attention with `prefix` tokens left unrotated (q[:, :, :0] when there are none, then a
    cat), learned rotary frequencies (ROPE-Mixed: a parameter times a position table, sin and cos,
    repeat_interleave), and grouped-query heads shared by repeat_interleave on the activation."""

    def __init__(self, prefix: int):
        super().__init__()
        self.prefix = prefix
        self.patch = nn.Conv2d(3, 16, 2, stride=2)
        self.q = nn.Linear(16, 16)
        self.k = nn.Linear(16, 8)
        self.freqs = nn.Parameter(torch.ones(4))  # 2 heads of 8 channels: 4 frequencies

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)  # N x 16
        b, n, _ = x.shape
        q = self.q(x).reshape(b, n, 2, 8).transpose(1, 2)  # 2 heads x N x 8
        k = self.k(x).reshape(b, n, 1, 8).transpose(1, 2).repeat_interleave(2, dim=1)  # 1 head shared by 2
        t = torch.arange(n - self.prefix, device=x.device).float()
        angles = t.unsqueeze(-1) * self.freqs  # (N - prefix) x 4
        sin, cos = angles.sin().repeat_interleave(2, -1), angles.cos().repeat_interleave(2, -1)
        rest = q[:, :, self.prefix:, :]
        rest = rest * cos + rotate_every_two(rest) * sin
        q = torch.cat([q[:, :, :self.prefix, :], rest], dim=2)
        return q @ k.transpose(-2, -1)


@pytest.mark.parametrize("prefix", [0, 1])
def test_prefix_learned_table_and_shared_heads_match_torch(prefix):
    module = PrefixGqaBlock(prefix)
    shape = (3, 8, 12)
    report = archcalc.analyze(module, input=shape)
    macs, out = _torch(module, shape)
    assert report.totals["params"] == sum(p.numel() for p in module.parameters())
    assert report.totals["macs"] == macs
    assert report.layers[-1].out_shape.as_list() == out
    gains = [layer for layer in report.layers if layer.kind == "gain"]  # x * cos and rotate(x) * sin
    assert [layer.params for layer in gains] == [4, 0]  # the frequencies counted once, by their first user


def test_constant_layers_written_out():
    """Input 3x8x12: 4 x 6 = 24 tokens of 16. Two constant layers (x * cos, rotate(x) * sin), each 24 x 16
    multiplies, no parameters, no MACs; the table itself is no layer."""
    report = archcalc.analyze(RopeBlock(False), input=(3, 8, 12))
    constants = [layer for layer in report.layers if layer.kind == "constant"]
    assert len(constants) == 2
    for layer in constants:
        assert layer.params == 0 and layer.macs == 0 and layer.other_ops == 24 * 16
        assert layer.out_shape.as_list() == [24, 16]
    assert report.totals["macs"] == 24 * 16 * (3 * 2 * 2) + 24 * 16 * 16 + 24 * 16 * 10


def test_a_table_of_symbolic_size_is_refused():
    with pytest.raises(ArchcalcError, match="constant table whose size is a formula"):
        archcalc.analyze(RopeBlock(True), input="3xHxW")


def constant_net():
    net = Net("constant", input=(3, 6, 8))
    x = net.conv(net.input, 8, 3, padding=1)
    x = net.constant(x, "mul", [6, 8])  # a table over the positions
    x = net.constant(x, "add", [8, 1, 1])  # one per channel
    return net


@pytest.mark.parametrize("batch", [1, 2])
def test_verify_constant_twin(batch):
    result = verify(constant_net().graph(), batch=batch)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]
    assert [s["kind"] for s in result.layers].count("constant") == 2


@pytest.mark.parametrize("name", ["eva02_tiny_patch14_224", "vit_small_patch16_rope_224", "vit_small_patch16_dinov3"])
def test_timm_rope_models(name):
    from archcalc.pytorch.coverage import check

    result = check(f"timm:{name}")
    assert result.status == "ok", result


class UpsampleCrop(nn.Module):
    """LowFormer's crop after an upsampling: x[..., :h, :w], the ends read from the input's shape (fx puts
    its nodes inside the slice)."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)

    def forward(self, x):
        h, w = x.shape[-2:]
        return self.up(self.down(x))[..., :h, :w]


def test_crop_by_sizes_read_from_the_input():
    module = UpsampleCrop()
    shape = (3, 9, 13)  # down to 5 x 7, up to 10 x 14, cropped to 9 x 13
    report = archcalc.analyze(module, input=shape)
    macs, out = _torch(module, shape)
    assert report.layers[-1].out_shape.as_list() == out == [8, 9, 13]
    assert report.totals["macs"] == macs
    assert report.totals["params"] == sum(p.numel() for p in module.parameters())


class FourierPositions(nn.Module):
    """XCiT's PositionalEncodingFourier, shortened: a table of sin and cos of the grid (1 x 8 x H x W), projected
    by a 1x1 conv once per forward, repeated to the batch, viewed as tokens and added to them."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 12, 2, stride=2)
        self.token_projection = nn.Conv2d(8, 12, 1)
        self.head = nn.Linear(12, 5)

    def forward(self, x):
        x = self.patch(x)
        b, _, h, w = x.shape
        y_embed = torch.arange(1, h + 1, device=x.device).float().unsqueeze(1).repeat(1, 1, w)  # 1 x H x W
        x_embed = torch.arange(1, w + 1, device=x.device).float().repeat(1, h, 1)
        dim_t = 10000 ** (2 * torch.div(torch.arange(4, device=x.device).float(), 2, rounding_mode="floor") / 4)
        pos_x, pos_y = x_embed[:, :, :, None] / dim_t, y_embed[:, :, :, None] / dim_t  # 1 x H x W x 4
        pos_x = torch.stack([pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()], dim=4).flatten(3)
        pos_y = torch.stack([pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()], dim=4).flatten(3)
        pos = torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)  # 1 x 8 x H x W
        pos = self.token_projection(pos).repeat(b, 1, 1, 1)
        tokens = x.flatten(2).transpose(1, 2)
        tokens = tokens + pos.reshape(b, -1, tokens.shape[1]).permute(0, 2, 1)
        return self.head(tokens)


@pytest.mark.parametrize("shape", [(3, 8, 12), (3, 14, 6)])
def test_module_on_a_table_counts_once_per_forward(shape):
    """The projection's 8 x 12 + 12 parameters are held by the add that meets the tokens; its MACs (H x W x 8
    x 12 at 1x1) are counted once per forward, in no layer, as FlopCounterMode counts them at batch 1."""
    module = FourierPositions()
    report = archcalc.analyze(module, input=shape)
    macs, out = _torch(module, shape)
    h, w = shape[1] // 2, shape[2] // 2
    assert report.totals["params"] == sum(p.numel() for p in module.parameters())
    assert report.totals["macs"] == macs == h * w * (3 * 4 * 12 + 8 * 12 + 12 * 5)
    assert report.layers[-1].out_shape.as_list() == out
    add = next(layer for layer in report.layers if layer.kind == "bias")
    assert add.params == 8 * 12 + 12 and add.out_shape.as_list() == [h * w, 12]
    assert sum(layer.macs for layer in report.layers) == h * w * (3 * 4 * 12 + 12 * 5)  # the rest: once


@pytest.mark.parametrize("name, kwargs", [("vit_small_patch16_rope_mixed_224", {"dynamic_img_size": True}),
                                          ("vit_small_patch16_dinov3", {})])
def test_timm_rope_tables_at_another_size(name, kwargs):
    """The tables follow the input: 208 x 160 is 13 x 10 patches, not the default grid (the check command's odd
    size, 199, is refused by these models)."""
    from archcalc.pytorch.coverage import measured
    from archcalc.sources.torchvision_import import import_torchvision

    import_torchvision()  # timm imports torchvision: archcalc's workaround first
    import timm

    with torch.device("meta"):
        model = timm.create_model(name, **kwargs).eval()
    shape = (3, 208, 160)
    macs, out = measured(model, shape)
    report = archcalc.analyze(model, input=shape)
    assert report.totals["params"] == sum(p.numel() for p in model.parameters())
    assert report.totals["macs"] == macs
    assert report.layers[-1].out_shape.as_list() == out
