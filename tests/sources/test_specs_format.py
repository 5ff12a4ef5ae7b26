"""The spec format, feature by feature: blocks and parameters, repeats, names, scopes, branches, residuals,
conditions, the three file formats, input sizes, and that loading never imports torch.

Expected figures are written as arithmetic, or compared with the same network built with the Python builder.
"""

import json
import subprocess
import sys
import textwrap

import pytest

import archcalc
from archcalc import Net
from archcalc.errors import InputError
from archcalc.sources.specs import load_spec, spec_kinds


def write(tmp_path, text, name="net.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def names(graph):
    return [layer.name for layer in graph.layers]


def test_blocks_parameters_defaults_and_interpolation(tmp_path):
    graph = load_spec(write(tmp_path, """
        name: t
        input: [3, 32, 32]
        blocks:
          unit:
            params: [id, out]
            defaults: {kernel: 3, padding: 1}
            layers:
              - {kind: conv, out_channels: $out, kernel: $kernel, padding: $padding, name: $id}
              - {kind: relu, name: "${id}_relu"}
        layers:
          - {block: unit, id: a, out: 8}
          - {block: unit, id: b, out: 16, kernel: [1, 5], padding: [0, 2]}
    """))
    assert names(graph) == ["a", "a_relu", "b", "b_relu"]
    b = graph.layers[2].attrs
    assert (b.out_channels, b.kernel, b.padding) == (16, (1, 5), (0, 2))
    report = archcalc.analyze(graph)
    assert report.totals["params"] == (3 * 3 * 3 * 8 + 8) + (1 * 5 * 8 * 16 + 16)


def test_same_graph_as_the_builder(tmp_path):
    """A small residual network in YAML equals the same network written with Net, layer for layer."""
    graph = load_spec(write(tmp_path, """
        name: small
        source: test
        input: [3, 32, 32]
        layers:
          - {kind: conv, out_channels: 16, kernel: 3, padding: 1, bias: false, name: stem}
          - {kind: batchnorm, name: bn}
          - name: add
            inplace: true
            residual:
              - {kind: conv, out_channels: 32, kernel: 3, stride: 2, padding: 1, name: c1}
            shortcut:
              - {kind: conv, out_channels: 32, kernel: 1, stride: 2, name: proj}
          - {kind: global_avgpool, name: gap}
          - {kind: flatten, name: flat}
          - {kind: linear, out_features: 10, name: fc}
    """))
    net = Net("small", (3, 32, 32), "test")
    x = net.batchnorm(net.conv(net.input, 16, 3, padding=1, bias=False, name="stem"), name="bn")
    y = net.conv(x, 32, 3, 2, 1, name="c1")
    s = net.conv(x, 32, 1, 2, name="proj")
    x = net.add([y, s], inplace=True, name="add")
    net.linear(net.flatten(net.global_avgpool(x, name="gap"), name="flat"), 10, name="fc")
    assert graph.layers == net.graph().layers
    assert (graph.name, graph.source, graph.default_input) == ("small", "test", (3, 32, 32))


def test_repeat_numbered_scopes_and_index(tmp_path):
    graph = load_spec(write(tmp_path, """
        name: t
        input: [4, 8, 8]
        blocks:
          pair:
            layers:
              - {kind: conv, out_channels: 4, kernel: 3, padding: 1, name: conv}
              - {kind: relu, name: relu}
        layers:
          - scope: stage
            layers:
              - {block: pair, repeat: 3, scope: $index}
          - scope: seq
            numbered: true
            layers:
              - {kind: relu, repeat: 2}
              - {kind: relu, name: last}
          - {kind: relu, repeat: 2}
    """))
    assert names(graph) == ["stage.0.conv", "stage.0.relu", "stage.1.conv", "stage.1.relu", "stage.2.conv",
                            "stage.2.relu", "seq.0", "seq.1", "seq.last", "relu1", "relu2"]


def test_if_skips_and_empty_branch_is_identity(tmp_path):
    """A DenseNet-style layer: concat of the input (empty branch) and new features: 16 + 12 channels."""
    graph = load_spec(write(tmp_path, """
        name: t
        input: [16, 8, 8]
        blocks:
          maybe:
            params: [on]
            layers:
              - {kind: conv, out_channels: 12, kernel: 3, padding: 1, name: new}
              - {kind: relu, name: relu, if: $on}
        layers:
          - name: cat
            branches:
              - []
              - {block: maybe, on: false}
    """))
    assert names(graph) == ["new", "cat"]
    assert graph.layers[-1].inputs == ("input", "new")
    report = archcalc.analyze(graph)
    assert report.layers[-1].out_shape.as_list() == [16 + 12, 8, 8]


def test_other_joins_by_kind(tmp_path):
    """join: any kind that merges (mean, FractalNet's join, included)."""
    graph = load_spec(write(tmp_path, """
        name: t
        input: [8, 8, 8]
        layers:
          - join: mean
            name: m
            branches:
              - {kind: conv, out_channels: 8, kernel: 3, padding: 1}
              - {kind: conv, out_channels: 8, kernel: 1}
    """))
    assert graph.layers[-1].kind == "mean"
    assert archcalc.analyze(graph).layers[-1].out_shape.as_list() == [8, 8, 8]


TINY = {
    "name": "tiny", "input": [1, 28, 28],
    "layers": [{"kind": "conv", "out_channels": 6, "kernel": 5, "padding": 2},
               {"kind": "lrn", "size": 5, "alpha": 1e-4},
               {"kind": "maxpool", "kernel": 2}, {"kind": "flatten"},
               {"kind": "linear", "out_features": 10}, {"kind": "softmax"}],
}
TINY_YAML = """
name: tiny
input: 1x28x28
layers:
  - {kind: conv, out_channels: 6, kernel: 5, padding: 2}
  - {kind: lrn, size: 5, alpha: 1e-4}
  - {kind: maxpool, kernel: 2}
  - {kind: flatten}
  - {kind: linear, out_features: 10}
  - {kind: softmax}
"""
TINY_TOML = """
name = "tiny"
input = [1, 28, 28]
layers = [
  {kind = "conv", out_channels = 6, kernel = 5, padding = 2},
  {kind = "lrn", size = 5, alpha = 1e-4},
  {kind = "maxpool", kernel = 2},
  {kind = "flatten"},
  {kind = "linear", out_features = 10},
  {kind = "softmax"},
]
"""


def test_three_formats_give_one_graph(tmp_path):
    """YAML (with a YAML 1.2 float 1e-4, which YAML 1.1 would read as text), JSON (tab-indented), TOML."""
    yaml_graph = load_spec(write(tmp_path, TINY_YAML, "tiny.yaml"))
    json_graph = load_spec(write(tmp_path, json.dumps(TINY, indent="\t"), "tiny.json"))
    toml_graph = load_spec(write(tmp_path, TINY_TOML, "tiny.toml"))
    assert yaml_graph.layers == json_graph.layers == toml_graph.layers
    assert yaml_graph.layers[1].attrs.alpha == 1e-4
    assert yaml_graph.default_input == json_graph.default_input == toml_graph.default_input == (1, 28, 28)
    assert archcalc.analyze(str(tmp_path / "tiny.yaml")).totals["params"] == 5 * 5 * 1 * 6 + 6 + 6 * 14 * 14 * 10 + 10


def test_tab_indented_json_keeps_its_lines(tmp_path):
    bad = dict(TINY, layers=[*TINY["layers"][:3], {"kind": "flaten"}])
    path = write(tmp_path, json.dumps(bad, indent="\t"), "tab.json")
    line = path.read_text().splitlines().index('\t\t\t"kind": "flaten"') + 1
    with pytest.raises(archcalc.ArchcalcError, match=rf"tab\.json:{line}: layers\[3\]\.kind: .*did you mean flatten"):
        load_spec(path)


def test_yaml_anchors_and_merge_keys(tmp_path):
    graph = load_spec(write(tmp_path, """
        name: t
        input: [3, 16, 16]
        layers:
          - &conv3 {kind: conv, out_channels: 8, kernel: 3, padding: 1}
          - {<<: *conv3, out_channels: 4, name: last}
    """))
    assert [(layer.attrs.out_channels, layer.attrs.kernel) for layer in graph.layers] == [(8, (3, 3)), (4, (3, 3))]


def test_yaml_1_1_booleans_stay_text(tmp_path):
    """`on`, `yes`, `no` are text (YAML 1.2), so a parameter may be called `on` and `bias: no` is refused."""
    path = write(tmp_path, "name: t\nlayers:\n  - {kind: conv, out_channels: 4, kernel: 1, bias: no}\n")
    with pytest.raises(archcalc.ArchcalcError, match=r"net\.yaml:3: layers\[0\]\.bias: bias must be true or false, got 'no'"):
        load_spec(path)


def test_input_optional_symbolic_and_overridable(tmp_path):
    path = write(tmp_path, "name: t\nlayers:\n  - {kind: conv, out_channels: 8, kernel: 3, stride: 2}\n")
    with pytest.raises(InputError):
        archcalc.analyze(str(path))
    assert archcalc.analyze(str(path), input=(3, 33, 33)).layers[0].out_shape.as_list() == [8, 16, 16]
    symbolic = write(tmp_path, "name: t\ninput: 3xHxW\nlayers:\n  - {kind: conv, out_channels: 8, kernel: 3}\n",
                     "sym.yaml")
    out = archcalc.analyze(str(symbolic)).layers[0].out_shape
    assert str(out) == "8x(H - 2)x(W - 2)" or str(out) == "8xH - 2xW - 2"


def test_name_and_source_default_to_the_file(tmp_path):
    graph = load_spec(write(tmp_path, "layers:\n  - {kind: relu}\n", "my_net.yaml"))
    assert graph.name == "my_net" and str(tmp_path / "my_net.yaml") in graph.source


def test_locations_recorded_for_every_layer(tmp_path):
    path = write(tmp_path, "name: t\nlayers:\n  - {kind: relu, name: a}\n  - {kind: relu, name: b}\n")
    locations = load_spec(path).extras["spec_locations"]
    assert locations == {"a": f"{path}:3: layers[0]", "b": f"{path}:4: layers[1]"}


def test_every_kind_a_spec_offers_builds(tmp_path):
    """Each kind listed for spec files is made by the loader (with its required fields) and analysed."""
    required = {"conv": {"out_channels": 4, "kernel": 1}, "maxpool": {"kernel": 1}, "avgpool": {"kernel": 1},
                "adaptive_avgpool": {"output": 2}, "adaptive_maxpool": {"output": 2}, "lrn": {"size": 3},
                "linear": {"out_features": 3}, "pad_channels": {"out_channels": 8}, "groupnorm": {"groups": 2},
                "conv_transpose": {"out_channels": 4, "kernel": 1}, "pad": {"pads": 1}, "upsample": {"scale": 2},
                "slice": {"start": 0, "stop": 2}, "channel_shuffle": {"groups": 2}, "reshape": {"sizes": [16, -1]},
                "permute": {"dims": [0, 2, 3, 1]}, "transpose": {"dim0": 1, "dim1": 3},
                "select": {"dim": 2, "index": 3}, "reduce_mean": {"dim": [2, 3]}, "reduce_sum": {"dim": 1}, "attention": {"heads": 2},
                "bias": {"shape": [4, 1, 1]}, "gain": {"shape": [4]}, "scalar": {"op": "mul", "value": 0.5},
                "reduce_norm": {"dim": 1}, "constant": {"op": "mul", "shape": [4, 1]},
                "window_attention": {"heads": 2, "window": 2}, "roll": {"shifts": [1, 2], "axes": [1, 2]},
                "learned_tokens": {"count": 2, "channels": 4}, "unfold": {"kernel": 2},
                "fold": {"output_size": [5, 5], "kernel": 2}, "unfold_axis": {"axis": 1, "size": 2, "step": 2},
                "batch_table": {"shape": [2, 3, 3]},
                "reduce_var": {"dim": [2, 3]}, "reduce_max": {"dim": 1}, "expand": {"sizes": [-1, -1, -1]},
                "take": {"dim": 1, "indices": [3, 0]}, "border_pad": {"pads": 1},
                "buffer_conv": {"out_channels": 4, "kernel": 3, "groups": 4}, "assign": {"index": [[0, 4]]},
                "param_matmul": {"shape": [4, 3]}}
    tokens = [{"kind": "flatten", "start_dim": 2}, {"kind": "transpose", "dim0": 1, "dim1": 2}]  # 16 x 4
    from archcalc.sources.specs.kinds import makers

    for kind in spec_kinds():
        if makers()[kind].joins:  # a kind that merges inputs is written as the join of branches
            entry = {"branches": [[], []], "join": kind, **required.get(kind, {})}
        else:
            entry = {"kind": kind, **required.get(kind, {})}
        layers = [{"kind": "flatten"}, entry] if kind == "linear" else [entry]
        if kind in ("attention", "class_token", "pos_embed"):  # they take tokens x channels
            layers = [*tokens, entry]
        if kind == "fold":  # it takes (C kh kw) x L columns: 4 x 16, 16 windows of 2 x 2 on 5 x 5
            layers = [tokens[0], entry]
        if kind in ("window_attention", "patch_merge"):  # they take an H x W x C map (channels last)
            layers = [{"kind": "permute", "dims": [0, 2, 3, 1]}, entry]
        path = write(tmp_path, json.dumps({"name": kind, "input": [4, 4, 4], "layers": layers}), f"{kind}.json")
        report = archcalc.analyze(str(path))
        assert report.layers[-1].kind == ("adaptive_avgpool" if kind == "global_avgpool" else kind)


def test_loading_and_summary_never_import_torch(tmp_path):
    probe = ("import sys, archcalc; from archcalc.cli import run; "
             "archcalc.analyze('examples/resnet50.yaml'); run(['summary', 'examples/vgg16.toml']); "
             "assert not [m for m in ('torch', 'torchvision', 'fvcore') if m in sys.modules], 'torch imported'")
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
