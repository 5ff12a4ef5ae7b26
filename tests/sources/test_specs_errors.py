"""Bad spec files: each gives exit code 2 and ONE line on stderr naming the file, the line and the key.

The fixtures live in tests/data/specs/. The expected line is found in the fixture's own text (the line that
holds a marker), not taken from archcalc. TOML has no lines in tomllib, so there the key path must do.
"""

from pathlib import Path

import pytest

import archcalc
from archcalc.cli import run
from archcalc.errors import ArchcalcError, SpecError

DATA = Path(__file__).resolve().parents[1] / "data" / "specs"


def line_of(path: Path, marker: str) -> int:
    """1-based number of the only line of `path` that contains `marker`."""
    hits = [i for i, text in enumerate(path.read_text().splitlines(), start=1) if marker in text]
    assert len(hits) == 1, f"marker {marker!r} found on lines {hits} of {path.name}"
    return hits[0]


def cli_error(capsys, path) -> str:
    """Run `archcalc summary PATH`; assert exit 2, nothing on stdout, one line on stderr; return it."""
    code = run(["summary", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert err.startswith("archcalc: error: ")
    assert "Traceback" not in err
    return err.strip()


# (fixture, marker on the line the error must name or None for TOML, key path, fragments of the reason)
CASES = [
    ("unknown_kind.yaml", "convv", "layers[1].kind", ["unknown layer kind 'convv'", "did you mean conv"]),
    ("unknown_kind.toml", None, "layers[1].kind", ["unknown layer kind 'maxpoo'", "did you mean maxpool"]),
    ("missing_field.yaml", "kind: conv", "layers[0]", ["conv needs field 'kernel'"]),
    ("missing_field.json", '"linear"', "layers[1]", ["linear needs field 'out_features'"]),
    ("negative_field.yaml", "padding: -1", "layers[0].padding", ["padding must not be negative, got -1"]),
    ("zero_field.yaml", "stride: 0", "layers[1].stride", ["stride must be a positive integer, got 0"]),
    ("unknown_field.yaml", "kernal", "layers[0].kernal", ["unknown key 'kernal' for conv", "did you mean kernel"]),
    ("undefined_block.yaml", "bottlenek", "layers[0].block",
     ["block 'bottlenek' is used but never defined", "did you mean bottleneck"]),
    ("repeat_zero.yaml", "repeat: 0", "layers[1].repeat", ["repeat must be a positive integer, got 0"]),
    ("repeat_param.yaml", "repeat: $n", "blocks.stack.layers[0].repeat",
     ["repeat must be a positive integer, got 'two'", "in block 'stack'"]),
    ("block_param_negative.yaml", "kernel: $kernel", "blocks.unit.layers[0].kernel",
     ["kernel must not be negative, got -3", "in block 'unit', used at line 11"]),
    ("unsafe.yaml", "!!python", "input", ["tag !!python/object/apply:os.system is not allowed"]),
    # found only when shapes are known, at analysis time: the layer's file and line still named
    ("kernel_too_large.yaml", "name: conv2", "layers[2]",
     ["layer 'conv2'", "kernel 5 is larger than its input 3"]),
    ("concat_sizes.yaml", "name: join", "layers[0]",
     ["layer 'join' (concat)", "branches have different spatial sizes: 8x28x28, 8x14x14"]),
    ("add_channels.yaml", "name: add", "layers[0]",
     ["layer 'add' (add)", "different channel counts: 128x56x56, 64x56x56"]),
    ("residual_projection_channels.yaml", "name: add", "layers[0]",
     ["layer 'add' (add)", "different channel counts: 128x28x28, 256x28x28"]),
]


@pytest.mark.parametrize("fixture, marker, key, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_spec_names_file_line_key_and_reason(capsys, fixture, marker, key, fragments):
    path = DATA / fixture
    err = cli_error(capsys, path)
    where = f"{path}:{line_of(path, marker)}: {key}:" if marker else f"{path}: {key}:"
    assert where in err
    for fragment in fragments:
        assert fragment in err


@pytest.mark.parametrize("fixture, marker, fragment", [
    ("syntax.yaml", "kind: relu", "invalid YAML"),
    ("syntax.json", "  ]", "invalid JSON"),
])
def test_syntax_errors_name_the_line(capsys, fixture, marker, fragment):
    path = DATA / fixture
    assert f"{path}:{line_of(path, marker)}: {fragment}" in cli_error(capsys, path)


def test_toml_syntax_error_keeps_tomllibs_position(capsys):
    path = DATA / "syntax.toml"
    err = cli_error(capsys, path)
    assert f"{path}: invalid TOML" in err and f"line {line_of(path, 'kind =')}" in err


def test_missing_file(capsys):
    assert "spec file 'no/such/net.yaml' not found" in cli_error(capsys, "no/such/net.yaml")


def test_errors_are_archcalc_errors_in_the_library():
    with pytest.raises(SpecError, match=r"unknown_kind\.yaml:5: layers\[1\]\.kind"):
        archcalc.analyze(str(DATA / "unknown_kind.yaml"))
    with pytest.raises(ArchcalcError, match="kernel 5 is larger than its input 3"):
        archcalc.analyze(str(DATA / "kernel_too_large.yaml"))


def test_unsafe_yaml_runs_nothing(capsys, tmp_path, monkeypatch):
    """A python/object tag is refused, and the command it names never runs."""
    marker = tmp_path / "ran"
    spec = tmp_path / "evil.yaml"
    spec.write_text(f'name: evil\ninput: !!python/object/apply:os.system ["touch {marker}"]\n'
                    "layers:\n  - {kind: relu}\n")
    assert "not allowed" in cli_error(capsys, spec)
    spec.write_text(f'name: evil\ninput: [3, 8, 8]\nlayers:\n  - kind: !!python/object/apply:os.system ["touch {marker}"]\n')
    assert "evil.yaml:4" in cli_error(capsys, spec)
    assert not marker.exists()


# smaller mistakes, written inline: (file text, marker, key path, fragment)
INLINE = [
    ("nme: x\nlayers:\n  - {kind: relu}\n", "nme", "nme", "unknown key 'nme'; did you mean name?"),
    ("name: x\ninput: [3, 8]\nlayrs:\n  - {kind: relu}\n", "layrs", "layrs", "did you mean layers?"),
    ("name: x\ninput: [3, 0, 8]\nlayers:\n  - {kind: relu}\n", "input", "input", "sizes must be at least 1"),
    ("name: x\nlayers:\n  - {kind: relu, block: b}\n", "kind: relu", "layers[0]",
     "needs exactly one of kind, block, layers, branches, residual"),
    ("name: x\nlayers:\n  - {kind: relu, if: maybe}\n", "if: maybe", "layers[0].if", "must be true or false"),
    ("name: x\nlayers:\n  - {kind: relu, name: r}\n  - {name: r, kind: relu}\n", "{name: r",
     "layers[1]", "layer name 'r' is used twice"),
    ("name: x\nlayers:\n  - {kind: conv, out_channels: $w, kernel: 1}\n", "$w", "layers[0].out_channels",
     "parameters exist only inside a block"),
    ("name: x\nblocks:\n  b:\n    params: [width]\n    layers:\n      - {kind: conv, out_channels: $widht, kernel: 1}\n"
     "layers:\n  - {block: b, width: 4}\n", "$widht", "blocks.b.layers[0].out_channels", "did you mean $width?"),
    ("name: x\nblocks:\n  b:\n    params: [width]\n    layers:\n      - {kind: relu}\nlayers:\n  - {block: b}\n",
     "{block: b}", "layers[0]", "block 'b' needs parameter 'width'"),
    ("name: x\nblocks:\n  b:\n    layers:\n      - {kind: relu}\nlayers:\n  - {block: b, wdth: 3}\n",
     "wdth", "layers[0].wdth", "block 'b' has no parameter 'wdth'"),
    ("name: x\nblocks:\n  b:\n    layers:\n      - {block: b}\nlayers:\n  - {block: b}\n",
     "      - {block: b}", "blocks.b.layers[0].block", "block 'b' uses itself (b -> b)"),
    ("name: x\nblocks:\n  b:\n    params: [repeat]\n    layers:\n      - {kind: relu}\nlayers:\n  - {block: b}\n",
     "[repeat]", "blocks.b.params[0]", "'repeat' is reserved"),
    ("name: x\nlayers:\n  - {kind: relu}\n  - {kind: relu}\nname: y\n", "name: y", "name", "key given twice"),
    ("name: x\nlayers:\n  - {kind: concat}\n", "concat", "layers[0].kind", "use it as the join"),
    ("name: x\nlayers:\n  - {branches: [[{kind: relu}]], join: relu}\n", "join", "layers[0].join",
     "cannot join branches"),
    ("name: x\nlayers:\n  - {kind: relu, numbered: true}\n", "numbered", "layers[0].numbered", "unknown key"),
    ("name: x\nlayers:\n  - {layers: [{kind: relu}], numbered: true}\n", "numbered", "layers[0].numbered",
     "numbered needs a scope"),
    ("name: x\nlayers:\n  - {kind: dropout, p: high}\n", "high", "layers[0].p", "p must be a number"),
    ("name: x\nlayers:\n  - {kind: conv, out_channels: 4, kernel:}\n", "kernel", "layers[0].kernel", "has no value"),
    ("name: x\nlayers:\n  - {kind: relu, repeat: 90000}\n  - {repeat: 90000, kind: relu}\n",
     "{repeat: 90000", "layers[1]", "more than 100,000 layers"),
    ("name: x\nlayers: []\n", "layers", "layers", "non-empty list"),
    ("- {kind: relu}\n", "relu", "", "must be a mapping"),
    ("a: &a [*a]\n", "a:", "a[0]", "refers to itself"),
]


@pytest.mark.parametrize("text, marker, key, fragment", INLINE, ids=[f"inline{i}" for i in range(len(INLINE))])
def test_inline_mistakes(capsys, tmp_path, text, marker, key, fragment):
    spec = tmp_path / "net.yaml"
    spec.write_text(text)
    line = text[:text.index(marker)].count("\n") + 1
    err = cli_error(capsys, spec)
    assert f"{spec}:{line}: {key}:" in err if key else f"{spec}:{line}:" in err
    assert fragment in err


def test_alias_bomb_is_refused(capsys, tmp_path):
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, 9):  # 10**9 values once expanded
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    spec = tmp_path / "bomb.yaml"
    spec.write_text("\n".join(lines) + "\nlayers:\n  - {kind: relu}\n")
    assert "expands to more than" in cli_error(capsys, spec)
