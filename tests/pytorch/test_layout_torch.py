"""The layout and token kinds against torch: small graphs checked by verify (shape, parameters, MACs,
activation and saved-for-backward bytes), the attention twin against scaled_dot_product_attention and timm's
formula, each twin's saved tensors (saved_tensors_hooks) against the engine's saved rule, views and copies as
torch makes them, and ViT-Tiny of examples/ verified through the CLI and summed by hand."""

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import archcalc
from archcalc import Net
from archcalc.analyses.backward_memory import saved_for_backward
from archcalc.cli import run
from archcalc.core.ir import INPUT, Attention
from archcalc.pytorch.build import build_module
from archcalc.pytorch.makers import maker_of
from archcalc.pytorch.makers.layout import Attention as AttentionTwin
from archcalc.pytorch.verify import verify

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vit-tiny.yaml"


def tokens_net():
    """Patch conv, flatten(2), transpose, class token, position embedding, attention, select, head."""
    net = Net("tokens", input=(3, 8, 8))
    x = net.conv(net.input, 8, 2, stride=2, name="patch")
    x = net.flatten(x, 2, name="flat")
    x = net.transpose(x, 1, 2, name="tr")
    x = net.class_token(x, name="cls")
    x = net.pos_embed(x, name="pos")
    x = net.layernorm(x, name="norm")
    x = net.attention(x, 2, name="attn")
    x = net.select(x, 1, 0, name="pool")
    net.linear(x, 4, name="head")
    return net


def layout_net():
    """Channels last and back (ConvNeXt), copies of permuted tensors, views, means, a whole flatten."""
    net = Net("layout", input=(4, 6, 8))
    x = net.conv(net.input, 8, 3, padding=1, name="conv")
    y = net.permute(x, [0, 2, 3, 1], name="to_last")
    y = net.linear(y, 16, name="fc")
    net.flatten(y, 2, name="flat_copy")  # H x (W C) of a permuted tensor: torch copies
    z = net.permute(y, [0, 3, 1, 2], name="to_first")
    net.flatten(z, 2, name="flat_view")  # channels first again: H and W adjacent, a view
    z = net.conv(z, 8, 1, name="pw")
    net.reshape(net.transpose(z, 2, 3, name="tr"), [8, 48], name="copy")
    net.reshape(z, [2, 4, 48], name="view")
    net.select(z, 2, 1, name="row")
    net.reduce_mean(z, [2, 3], keepdim=True, name="mean")
    net.flatten(z, name="flat_all")
    return net


def matmul_net():
    """Scores and a weighted sum with matmul, both operands computed (each requires grad), and a 4-D matmul."""
    net = Net("mm", input=(10, 6), channels_last=True)
    q = net.linear(net.input, 6, name="q")
    k = net.transpose(net.linear(net.input, 6, name="k"), 1, 2, name="kt")
    s = net.softmax(net.matmul([q, k], name="scores"), dim=-1, name="sm")
    v = net.linear(net.input, 6, name="v")
    o = net.matmul([s, v], name="av")
    h = net.reshape(o, [10, 2, 3], name="heads")
    hq = net.permute(h, [0, 2, 1, 3], name="hq")
    hk = net.permute(net.reshape(v, [10, 2, 3]), [0, 2, 3, 1], name="hk")
    net.reduce_mean(net.matmul([hq, hk], name="mm4"), 1, name="mean")
    return net


def axes_net():
    """concat, softmax and slice along named axes, channels first and tokens x channels."""
    net = Net("axes", input=(4, 6, 8))
    x = net.conv(net.input, 4, 3, padding=1, name="conv")
    s = net.softmax(x, dim=2, name="sm_h")
    t = net.slice(x, 1, 5, dim=3, name="sl_w")
    u = net.slice(s, 0, 3, dim=-1, name="sl_w2")
    net.concat([t, u], dim=3, name="cat_w")
    c = net.concat([x, s], name="cat_c")
    f = net.transpose(net.flatten(c, 2), 1, 2, name="tok")
    g = net.concat([f, f], dim=1, name="cat_tok")
    h = net.softmax(g, name="sm_c")
    net.slice(h, 2, 5, name="sl_c")
    net.slice(g, 3, 40, dim=1, name="sl_tok")
    return net


def _failures(result):
    return [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("make", [tokens_net, layout_net, matmul_net, axes_net], ids=lambda f: f.__name__)
def test_verify(make, batch):
    result = verify(make().graph(), batch=batch)
    assert result.ok, _failures(result)


def test_matmul_with_an_operand_that_needs_no_grad_verifies():
    """Autograd keeps mm's first operand only for the second's gradient: x @ input^T keeps the input only."""
    net = Net("mm-input", input=(10, 6), channels_last=True)
    q = net.linear(net.input, 6, name="q")
    net.matmul([q, net.transpose(net.input, 1, 2, name="t")], name="scores")
    result = verify(net.graph(), batch=1)
    assert result.ok, _failures(result)


def _timm_attention(x, qkv_w, qkv_b, proj_w, proj_b, heads):
    """timm's Attention.forward without the fused kernel, written out."""
    n, t, c = x.shape
    qkv = F.linear(x, qkv_w, qkv_b).reshape(n, t, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.unbind(0)
    attn = ((q * (c // heads) ** -0.5) @ k.transpose(-2, -1)).softmax(dim=-1)
    return F.linear((attn @ v).transpose(1, 2).reshape(n, t, c), proj_w, proj_b)


@pytest.mark.parametrize("heads, batch, tokens, width", [(1, 1, 5, 8), (2, 2, 7, 8), (3, 2, 197, 192)])
def test_attention_twin_computes_scaled_dot_product_attention(heads, batch, tokens, width):
    torch.manual_seed(0)
    twin = AttentionTwin(width, heads)
    x = torch.randn(batch, tokens, width)
    assert {name for name, _ in twin.named_parameters()} == {"qkv.weight", "qkv.bias", "proj.weight", "proj.bias"}
    q, k, v = F.linear(x, twin.qkv.weight, twin.qkv.bias).reshape(batch, tokens, 3, heads, -1).permute(
        2, 0, 3, 1, 4)
    fused = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(batch, tokens, width)
    with torch.no_grad():
        y = twin(x)
        timm = _timm_attention(x, twin.qkv.weight, twin.qkv.bias, twin.proj.weight, twin.proj.bias, heads)
        expected = twin.proj(fused)
    assert y.shape == (batch, tokens, width)
    torch.testing.assert_close(y, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(y, timm, rtol=1e-5, atol=1e-5)
    made = maker_of("attention")(Attention(heads), [x], ("SC",))
    assert isinstance(made, AttentionTwin) and made.heads == heads and made.head_dim == width // heads


def measured_saved(module, xs) -> int:
    """Bytes autograd saves in module(*xs), each storage once (by data_ptr and nbytes), parameters apart."""
    params = {p.untyped_storage().data_ptr() for p in module.parameters()}
    seen = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        module(*xs).sum()
    return sum(seen.values())


T, D, HEADS = 7, 8, 2


def _attention_saved(batch, heads=HEADS):
    """input TD, qkv 3TD, scaled q TD, softmax h T^2, heads joined TD. With a batch and several heads, the
    4-D matmuls fold k^T and v (strided views of qkv) into 3-D copies: k, v (2TD) kept instead of qkv (3TD)."""
    if batch == 1 or heads == 1:
        return 4 * batch * (T * D + 3 * T * D + T * D + heads * T * T + T * D)
    return 4 * batch * (T * D + T * D + 2 * T * D + heads * T * T + T * D)


def _heads_product(net, x):
    """q k^T per head, both from one tensor (T x 2 heads x D/2): views of it at batch 1; at batch 2 torch.matmul
    folds batch and heads of each strided operand into a copy (TD each) and keeps the copies."""
    q = net.permute(net.reshape(x, [T, 2, D // 2]), [0, 2, 1, 3])
    k = net.permute(net.reshape(x, [T, 2, D // 2]), [0, 2, 3, 1])
    net.matmul([q, k], name="out")


SAVED = {  # build from the lead tensor (tokens x channels) making layer "out", expected bytes(batch)
    "reshape": (lambda n, x: n.reshape(x, [T, 2, D // 2], name="out"), lambda b: 0),
    "reshape_copy": (lambda n, x: n.reshape(n.transpose(x, 1, 2), [-1], name="out"), lambda b: 0),
    "flatten": (lambda n, x: n.flatten(x, name="out"), lambda b: 0),
    "permute": (lambda n, x: n.permute(x, [0, 2, 1], name="out"), lambda b: 0),
    "transpose": (lambda n, x: n.transpose(x, 1, 2, name="out"), lambda b: 0),
    "select": (lambda n, x: n.select(x, 1, 0, name="out"), lambda b: 0),
    "reduce_mean": (lambda n, x: n.reduce_mean(x, 1, name="out"), lambda b: 0),
    "class_token": (lambda n, x: n.class_token(x, name="out"), lambda b: 0),
    "pos_embed": (lambda n, x: n.pos_embed(x, name="out"), lambda b: 0),
    "matmul": (lambda n, x: n.matmul([x, n.scale(n.transpose(n.input, 1, 2))], name="out"),
               lambda b: 4 * b * (T * D + D * T)),
    "matmul_heads": (_heads_product, lambda b: 4 * b * (T * D if b == 1 else 2 * T * D)),
    "attention": (lambda n, x: n.attention(x, HEADS, name="out"), _attention_saved),
    "attention_1head": (lambda n, x: n.attention(x, 1, name="out"), lambda b: _attention_saved(b, 1)),
}


def _torch_inputs(graph, report, values):
    """The last layer's inputs, computed in torch by the graph's own twins from `values` (node -> tensor)."""
    stats = {s.name: s for s in report.layers}
    for layer in graph.layers[:-1]:
        if layer.name in values:
            continue
        xs = [values[i] for i in layer.inputs]
        roles = tuple(r.roles for r in stats[layer.name].in_shapes)
        values[layer.name] = maker_of(layer.kind)(layer.attrs, xs, roles)(*xs)
    return [values[i] for i in graph.layers[-1].inputs]


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("case", list(SAVED))
def test_saved_for_backward_matches_the_twin(case, batch):
    build, expected = SAVED[case]
    net = Net("saved", input=(T, D), channels_last=True)
    build(net, net.scale(net.input, name="lead"))  # lead: its output requires grad, as the leaf below
    graph = net.graph()
    report = archcalc.analyze(graph, batch=batch)
    engine = saved_for_backward(graph, report).by_layer.get("out", 0)
    lead = torch.randn(batch, T, D, requires_grad=True)
    with torch.enable_grad():
        xs = _torch_inputs(graph, report, {INPUT: torch.randn(batch, T, D), "lead": lead})
        target = graph.layers[-1]
        roles = tuple(r.roles for r in report.layers[-1].in_shapes)
        twin = maker_of(target.kind)(target.attrs, xs, roles)
        measured = measured_saved(twin, xs)
    assert measured == expected(batch), "the arithmetic of what torch keeps"
    assert engine == expected(batch), f"engine {engine}, torch {measured}"


CHAINS = {  # a chain ending in a reshape or flatten "out" of a 4x6x8 map
    "permute_flatten": lambda n, x: n.flatten(n.permute(x, [0, 2, 3, 1]), 2, name="out"),
    "transpose_reshape": lambda n, x: n.reshape(n.transpose(x, 2, 3), [4, 48], name="out"),
    "contiguous_reshape": lambda n, x: n.reshape(x, [4, 48], name="out"),
    # channels last and back (ConvNeXt's block): H and W stay adjacent, torch's reshape is a view
    "permute_back_flatten": lambda n, x: n.flatten(n.permute(n.permute(x, [0, 2, 3, 1]), [0, 3, 1, 2]), 2,
                                                   name="out"),
    "transpose_twice": lambda n, x: n.reshape(n.transpose(n.transpose(x, 2, 3), 2, 3), [4, 48], name="out"),
    "permute_keeps_inner": lambda n, x: n.flatten(n.permute(x, [0, 2, 1, 3]), 2, name="out"),
    "permute_hw_c": lambda n, x: n.reshape(n.permute(x, [0, 2, 3, 1]), [48, 4], name="out"),
    "select_flatten": lambda n, x: n.flatten(n.select(x, 2, 1), name="out"),
    "slice_w_flatten": lambda n, x: n.flatten(n.slice(x, 0, 4, dim=3), 2, name="out"),
    "slice_c_flatten": lambda n, x: n.flatten(n.slice(x, 1, 3), name="out"),
    "select_c_flatten": lambda n, x: n.flatten(n.select(x, 1, 2), name="out"),
}


@pytest.mark.parametrize("case", list(CHAINS))
def test_reshape_copies_exactly_when_torch_does(case):
    net = Net("chain", input=(4, 6, 8))
    CHAINS[case](net, net.input)
    graph = net.graph()
    report = archcalc.analyze(graph)
    x = torch.randn(1, 4, 6, 8)
    (y,) = _torch_inputs(graph, report, {INPUT: x})
    target = graph.layers[-1]
    out = maker_of(target.kind)(target.attrs, [y], (report.layers[-1].in_shapes[0].roles,))(y)
    copies = out.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
    assert report.layers[-1].activation_elems == (out[0].numel() if copies else 0), f"torch copies: {copies}"
    assert list(out.shape[1:]) == report.layers[-1].out_shape.as_list()


def test_vit_tiny_verifies_through_the_cli(capsys):
    code = run(["verify", str(EXAMPLE), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"] is True
    assert {"output shape", "params", "MACs (FlopCounterMode flops / 2)", "activation bytes (forward hooks)",
            "saved for backward bytes (saved_tensors_hooks)"} <= {c["figure"] for c in data["checks"]}


def test_vit_tiny_totals_by_hand():
    report = archcalc.analyze(str(EXAMPLE))
    c, t, mlp, patches = 192, 197, 768, 14 * 14
    block_params = 2 * 2 * c + (4 * c * c + 4 * c) + (c * mlp + mlp + mlp * c + c)
    params = (c * 3 * 16 * 16 + c) + c + t * c + 12 * block_params + 2 * c + (c * 1000 + 1000)
    assert report.totals["params"] == params == 5_717_416
    block_macs = (4 * t * c * c + 2 * t * t * c) + 2 * t * c * mlp
    macs = c * 3 * 16 * 16 * patches + 12 * block_macs + c * 1000
    assert report.totals["macs"] == macs
    layers = {s.name: s for s in report.layers}
    assert str(layers["patch_embed.flatten"].out_shape) == f"{c}x{patches}"
    assert layers["patch_embed.transpose"].out_shape.roles == "TC"
    assert str(layers["cls_token"].out_shape) == f"{t}x{c}" and layers["cls_token"].params == c
    assert layers["pos_embed"].params == t * c and layers["blocks.0.attn"].rf.size == (None, None)
    assert str(layers["pool"].out_shape) == f"{c}" and layers["head"].params == c * 1000 + 1000


@pytest.mark.parametrize("batch", [1, 2])
def test_elementwise_output_keeps_a_permuted_layout(batch):
    """torch lays an elementwise result out like its permuted input (TensorIterator), so a gate multiplied
    into a transposed map and then flattened is copied: the engine must say so (found by the property test)."""
    net = Net("gated-transpose", input=(2, 6, 6))
    t = net.transpose(net.conv(net.transpose(net.input, 2, 3), 2, 1), -1, -2)
    gate = net.act("sigmoid", net.conv(net.adaptive_avgpool(t, 1), 2, 1))
    net.flatten(net.mul([t, gate]), name="flat")
    report = archcalc.analyze(net.graph())
    assert report.layer("flat").activation_elems == 2 * 6 * 6  # a copy, as torch makes
    result = verify(net.graph(), batch=batch)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]


@pytest.mark.parametrize("batch", [1, 2])
def test_learned_tensors_and_contiguous_against_torch(batch):
    net = Net("learned", input=(4, 6, 6))
    x = net.bias(net.input, [6, 6])
    x = net.gain(net.permute(x, [0, 2, 3, 1]), [4])
    x = net.contiguous(x)
    net.flatten(net.gain(x, [6, 1, 4]))
    result = verify(net.graph(), batch=batch)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]


@pytest.mark.parametrize("batch", [1, 2])
def test_scalar_ops_against_torch(batch):
    net = Net("scalar", input=(4, 6, 6))
    x = net.conv(net.input, 4, 1)
    for op, value in (("mul", 0.5), ("add", 1.0), ("rsub", 1.0), ("div", 2.0), ("pow", 2.0), ("rdiv", 1.0)):
        x = net.scalar(x, op, value)
    result = verify(net.graph(), batch=batch)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]


@pytest.mark.parametrize("batch", [1, 2])
def test_normalize_against_torch(batch):
    net = Net("normalize", input=(4, 6, 6))
    x = net.conv(net.input, 4, 1)
    net.add([net.normalize(x), net.normalize(x, dim=-1)])
    result = verify(net.graph(), batch=batch)
    assert result.ok, [(c.layer, c.figure, c.analytic, c.measured) for c in result.failures()]
