"""Plots: units on the axes, sources in the caption, PNG and SVG written reproducibly and atomically."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from archcalc.sources import analyze, resolve  # noqa: E402
from archcalc.analyses.comparison import model_row  # noqa: E402
from archcalc.errors import ArchcalcError  # noqa: E402
from archcalc.output.plots import accuracy_vs_macs, macs_by_kind, memory_vs_params, save_figure  # noqa: E402
from archcalc.cli import run  # noqa: E402


def _texts(fig) -> str:
    return " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def test_accuracy_plot_units_caption_and_left_out_models():
    fig = accuracy_vs_macs([model_row(m) for m in ("alexnet", "vgg16", "lenet5")])
    ax = fig.axes[0]
    assert "GMACs" in ax.get_xlabel() and "(%)" in ax.get_ylabel() and ax.get_xscale() == "log"
    text = _texts(fig)
    assert "docs.pytorch.org/vision" in text and "lenet5" in text  # source; the model without a top-1 named
    assert len(ax.collections) == 2 + 3  # two bubbles, three size-key entries


def test_accuracy_plot_without_any_accuracy_is_an_error():
    with pytest.raises(ArchcalcError, match="has a top-1 .*--accuracy NAME="):
        accuracy_vs_macs([model_row("lenet5")])


def test_memory_plot_bars_are_the_layers_memory():
    report = analyze("vgg16")
    fig = memory_vs_params(report)
    top, bottom = fig.axes
    assert "MB" in top.get_ylabel() and "MB" in bottom.get_ylabel()
    heights = {t.get_text(): (a.get_height(), p.get_height())
               for t, a, p in zip(bottom.get_xticklabels(), top.patches, bottom.patches)}
    # VGG-16's first conv: 64x224x224 float32 output; 3x3x3x64 weights + 64 biases, 4 bytes each
    assert heights["features.0 (conv)"] == pytest.approx((64 * 224 * 224 * 4 / 1e6, (3 * 3 * 3 * 64 + 64) * 4 / 1e6))
    # its first FC layer: 25088 -> 4096, with biases
    assert heights["classifier.0 (linear)"][1] == pytest.approx((25088 * 4096 + 4096) * 4 / 1e6)


def test_macs_plot_stacks_add_up():
    models = ("alexnet", "vgg16")
    fig = macs_by_kind([analyze(m) for m in models], [resolve(m) for m in models])
    absolute, share = fig.axes[:2]
    assert "GMACs" in absolute.get_ylabel() and "%" in share.get_ylabel()
    per_model = [0.0, 0.0]
    for bar in absolute.patches:
        per_model[round(bar.get_x() + bar.get_width() / 2)] += bar.get_height()
    # VGG-16: 13 convs and 3 FC layers, MACs as arithmetic (conv: H*W*Cout*Cin*9)
    convs = [(224, 3, 64), (224, 64, 64), (112, 64, 128), (112, 128, 128), (56, 128, 256), (56, 256, 256),
             (56, 256, 256), (28, 256, 512), (28, 512, 512), (28, 512, 512), (14, 512, 512), (14, 512, 512),
             (14, 512, 512)]
    vgg = sum(s * s * co * ci * 9 for s, ci, co in convs) + 25088 * 4096 + 4096 * 4096 + 4096 * 1000
    assert per_model[1] == pytest.approx(vgg / 1e9)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"conv 3x3", "conv 11x11", "linear"} <= set(labels)


def test_svg_and_png_are_reproducible(tmp_path):
    fig = macs_by_kind([analyze("alexnet")], [resolve("alexnet")])
    for suffix in (".svg", ".png"):
        a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        save_figure(fig, a)
        save_figure(fig, b)
        assert a.read_bytes() == b.read_bytes()
    svg = (tmp_path / "a.svg").read_text()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "a.svg", "b.png", "b.svg"]


def test_plot_cli_bad_suffix_is_one_line_exit_2(tmp_path, capsys):
    code = run(["plot", "macs", "alexnet", "--out", str(tmp_path / "x.jpg")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "x.jpg" in err
    assert list(tmp_path.iterdir()) == []


def test_plot_cli_memory_takes_one_model(tmp_path, capsys):
    assert run(["plot", "memory", "alexnet", "vgg16", "--out", str(tmp_path / "m.png")]) == 2
    assert run(["plot", "memory", "alexnet", "--out", str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
