"""Hostile input, item by item: every bad input ends with one line on stderr and exit code 2, no
traceback, no hang, no unbounded memory. Each test runs the command line in-process (archcalc.cli.run).
"""

from __future__ import annotations

import os
import time

import pytest

from archcalc.cli import run

SECONDS = 10  # a hostile input must be answered well within this


def one_line_error(capsys, argv, *fragments):
    """Run `argv`; assert exit 2, exactly one stderr line naming every fragment, and no traceback."""
    start = time.perf_counter()
    code = run(argv)
    took = time.perf_counter() - start
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("archcalc: error"), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert took < SECONDS, f"{argv} took {took:.1f} s"
    return lines[0]


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return os.fspath(path)


# --- 4. a repeat of a body that makes no layers ---------------------------------------------------------
@pytest.mark.parametrize("body", ["{layers: []}", "{if: false, kind: relu}",
                                  "{layers: [{if: false, kind: relu}]}"])
def test_a_huge_repeat_of_nothing_returns_at_once(tmp_path, capsys, body):
    spec = write(tmp_path, "net.yaml", f"input: [3, 8, 8]\nlayers:\n  - {{kind: relu}}\n"
                                       f"  - {{repeat: 1000000000000, layers: [{body}]}}\n")
    assert run(["summary", spec, "--json"]) == 0
    assert '"layers": [{"name": "relu1"' in capsys.readouterr().out


# --- 5. caps on parametrised zoo names, rf strings, and files that block --------------------------------
@pytest.mark.parametrize("name", ["densenet-bc-100000000-12", "wrn-100000000-10", "preact-resnet-1000000001"])
def test_giant_zoo_patterns_are_refused(capsys, name):
    one_line_error(capsys, ["summary", name, "--json"], name, "100,000 layers")


@pytest.mark.parametrize("spec, fragment", [
    ("conv3*10000000", "more than 100,000 layers"), ("pool5*999999999994", "more than 100,000 layers"),
    ("3x3x1000000", "1,000,000 layers"), ("3x3x99999999999999999999999", "at most 10^18"),
    ("conv3,pool2" + "*100000" * 2, "more than 100,000 layers")])
def test_giant_rf_strings_are_refused(capsys, spec, fragment):
    one_line_error(capsys, ["rf", spec], fragment)


def test_a_fifo_as_spec_is_refused(tmp_path, capsys):
    fifo = tmp_path / "net.yaml"
    os.mkfifo(fifo)
    one_line_error(capsys, ["summary", os.fspath(fifo)], "not a regular file")


def test_a_link_to_dev_zero_as_spec_is_refused(tmp_path, capsys):
    link = tmp_path / "net.yaml"
    link.symlink_to("/dev/zero")
    one_line_error(capsys, ["summary", os.fspath(link)], "not a regular file")


# --- 6. digits int() refuses, numbers over 4,300 digits, sizes past 10^18 -------------------------------
@pytest.mark.parametrize("size", ["1x²x32", "①x3x3", "3x٣x3", "3x" + "9" * 5000 + "x3", "3x10000000000000000000x3"])
def test_odd_digits_and_huge_sizes_in_input(capsys, size):
    one_line_error(capsys, ["summary", "lenet5", "--input", size], "dimension")


@pytest.mark.parametrize("value", ["9" * 5000, "10000000000000000000"])
def test_huge_numbers_in_a_spec(tmp_path, capsys, value):
    spec = write(tmp_path, "net.yaml", f"input: [3, 8, 8]\nlayers:\n  - {{kind: conv, out_channels: {value}, "
                                       "kernel: 1}\n")
    one_line_error(capsys, ["summary", spec], "net.yaml")


def test_a_huge_number_in_a_json_spec(tmp_path, capsys):
    spec = write(tmp_path, "net.json", '{"input": [3, 8, 8], "layers": [{"kind": "conv", "out_channels": '
                                       + "9" * 5000 + ', "kernel": 1}]}')
    one_line_error(capsys, ["summary", spec], "net.json")


# --- 9. deep nesting -----------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [250, 5000])
def test_deeply_nested_groups(tmp_path, capsys, depth):
    nested = "{kind: relu}"
    for _ in range(depth):
        nested = f"{{layers: [{nested}]}}"
    spec = write(tmp_path, "net.yaml", f"input: [3, 8, 8]\nlayers: [{nested}]\n")
    one_line_error(capsys, ["summary", spec], "nested")


def test_deeply_nested_json_lists(tmp_path, capsys):
    spec = write(tmp_path, "net.json", '{"input": [3, 8, 8], "layers": ' + "[" * 5000 + "]" * 5000 + "}")
    one_line_error(capsys, ["summary", spec], "nested")


def test_blocks_used_inside_blocks_without_end(tmp_path, capsys):
    blocks = "".join(f"  b{i}:\n    layers: [{{block: b{i + 1}}}]\n" for i in range(200))
    spec = write(tmp_path, "net.yaml", f"input: [3, 8, 8]\nblocks:\n{blocks}  b200:\n    layers: [{{kind: relu}}]\n"
                                       "layers: [{block: b0}]\n")
    one_line_error(capsys, ["summary", spec], "blocks are used inside blocks more than 50 deep")


# --- 10. attributes of joins and shortcuts are type-checked; null sizes -----------------------------------
@pytest.mark.parametrize("value", ["4.5", "abc", "[1, 2]", "0", "true"])
def test_pad_channels_out_channels_is_checked(tmp_path, capsys, value):
    spec = write(tmp_path, "net.yaml", f"input: [3, 8, 8]\nlayers:\n  - {{kind: pad_channels, "
                                       f"out_channels: {value}}}\n")
    one_line_error(capsys, ["summary", spec], "out_channels")


def test_mean_takes_no_fields(tmp_path, capsys):
    spec = write(tmp_path, "net.yaml", "input: [3, 8, 8]\nlayers:\n  - {branches: [[], []], join: mean, "
                                       "size: abc}\n")
    one_line_error(capsys, ["summary", spec], "unknown key 'size'")


@pytest.mark.parametrize("size", ["[3, null, 32]", "[3, 1.5, 32]", "[3, true, 32]"])
def test_null_or_fractional_input_sizes(tmp_path, capsys, size):
    spec = write(tmp_path, "net.yaml", f"input: {size}\nlayers:\n  - {{kind: relu}}\n")
    one_line_error(capsys, ["summary", spec], "input")


# --- 12. the symbolic ceil-mode formula drops a window that starts in the padding -------------------------
def test_symbolic_ceil_mode_pool_equals_the_numeric_rule():
    import sympy

    import archcalc
    from archcalc import Net

    net = Net("pool", input=(1, 4, 4))
    net.maxpool(net.input, 1, 2, ceil_mode=True)
    formula = archcalc.analyze(net, input="1xHxW").layers[0].out_shape.spatial[0]
    H = sympy.Symbol("H", positive=True, integer=True)
    for h in range(1, 30):
        numeric = archcalc.analyze(net, input=(1, h, h)).layers[0].out_shape.spatial[0]
        # PyTorch's rule: windows start at 0, 2, 4, ... and must start inside the input: ceil(h / 2)
        assert numeric == -(-h // 2)
        assert int(formula.subs(H, h)) == numeric


# --- 15. dropout probabilities; specs that make nothing --------------------------------------------------
@pytest.mark.parametrize("p", ["5", ".nan", "-0.5", ".inf"])
def test_dropout_probability_is_checked(tmp_path, capsys, p):
    spec = write(tmp_path, "net.yaml", f"input: [3, 8, 8]\nlayers:\n  - {{kind: dropout, p: {p}}}\n")
    one_line_error(capsys, ["summary", spec], "p ")


@pytest.mark.parametrize("layers", ["[{if: false, kind: relu}]", "[{layers: []}]", "[{repeat: 3, layers: []}]"])
def test_a_spec_that_makes_no_layer_is_refused(tmp_path, capsys, layers):
    spec = write(tmp_path, "net.yaml", f"input: [3, 8, 8]\nlayers: {layers}\n")
    one_line_error(capsys, ["summary", spec], "makes no layer")


# --- 13. a network written for 3 channels refuses another count; spec files follow the input ---------------
@pytest.mark.parametrize("model, size", [("vgg16", "1x224x224"), ("alexnet", "4x224x224"),
                                         ("lenet5", "3x32x32"), ("resnet50", "Cx224x224")])
def test_zoo_entries_refuse_other_input_channels(capsys, model, size):
    one_line_error(capsys, ["summary", model, "--input", size], model, "input channel")


def test_a_spec_file_follows_the_input_channels(tmp_path, capsys):
    import archcalc

    spec = write(tmp_path, "net.yaml", "input: [3, 8, 8]\nlayers:\n  - {kind: conv, out_channels: 4, kernel: 3}\n")
    # the first conv's weights follow the input: 4 x C x 3 x 3 + 4 biases
    assert archcalc.analyze(spec, input=(1, 8, 8)).totals["params"] == 4 * 1 * 3 * 3 + 4
    assert archcalc.analyze(spec).totals["params"] == 4 * 3 * 3 * 3 + 4
