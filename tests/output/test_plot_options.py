"""`archcalc plot`'s options: --accuracy gives a top-1 to a model without a published one, labels never
overlap, titles come from the plotted models, and a symbolic --input is one line on stderr with exit 2."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from archcalc.analyses.comparison import model_row  # noqa: E402
from archcalc.cli import run  # noqa: E402
from archcalc.cli.plot import with_accuracy  # noqa: E402
from archcalc.output.plots import accuracy_vs_macs, first_half_share, memory_title, memory_vs_params  # noqa: E402
from archcalc.sources import analyze  # noqa: E402

SPEC = """name: tiny-net
input: [3, 32, 32]
layers:
  - {kind: conv, out_channels: 8, kernel: 3, padding: 1, name: c1}
  - {kind: global_avgpool}
  - {kind: flatten}
  - {kind: linear, out_features: 10, name: fc}
"""


def _texts(fig) -> str:
    return " ".join(t.get_text() for t in fig.findobj(Text))


def test_given_accuracy_plots_a_model_without_a_published_one(tmp_path):
    """zfnet has no published top-1 in archcalc; given one, its bubble sits at (its GMACs, the given value)."""
    models = ["alexnet", "zfnet", "lenet5"]
    rows = with_accuracy(models, [model_row(m) for m in models], {"zfnet": 64.5})
    fig = accuracy_vs_macs(rows)
    ax = fig.axes[0]
    points = [tuple(c.get_offsets()[0]) for c in ax.collections if len(c.get_offsets())]
    zfnet_gmacs = model_row("zfnet")["macs"] / 1e9
    assert any(x == pytest.approx(zfnet_gmacs) and y == 64.5 for x, y in points)
    assert len(points) == 2  # alexnet (published) and zfnet (given); lenet5 has neither
    text = _texts(fig)
    assert "zfnet 64.5%" in text and "--accuracy" in text and "lenet5" in text  # given, and the one left out
    assert ax.get_ylabel() == "top-1 accuracy (%)"  # a given figure need not be ImageNet's


def test_accuracy_option_matches_a_spec_file_by_path_or_name(tmp_path, capsys):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    for name in (str(spec), "tiny-net"):
        out = tmp_path / "a.svg"
        assert run(["plot", "accuracy", str(spec), "--accuracy", f"{name}=42", "--out", str(out)]) == 0
        assert "tiny-net" in out.read_text()
    # without --accuracy the only model has no top-1: one line, exit 2, saying how to give one
    assert run(["plot", "accuracy", str(spec), "--out", str(tmp_path / "b.svg")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--accuracy" in err


@pytest.mark.parametrize("args", [
    ["accuracy", "zfnet", "--accuracy", "zfnet"],  # no value
    ["accuracy", "zfnet", "--accuracy", "zfnet=abc"],
    ["accuracy", "zfnet", "--accuracy", "zfnet=0"],
    ["accuracy", "zfnet", "--accuracy", "zfnet=100.5"],
    ["accuracy", "zfnet", "--accuracy", "vgg16=70"],  # not a plotted model
    ["macs", "zfnet", "--accuracy", "zfnet=70"],  # only the accuracy plot has top-1s
])
def test_bad_accuracy_is_one_line_exit_2(tmp_path, capsys, args):
    assert run(["plot", *args, "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--accuracy" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_labels_never_overlap_and_stay_inside():
    """A crowded plot (three families around 70-80% and 4-20 GMACs): no two labels share a pixel, and every
    label is inside the axes."""
    models = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2",
              "densenet121", "densenet169", "vgg13", "vgg16", "vgg16_bn", "vgg19", "googlenet"]
    fig = accuracy_vs_macs([model_row(m) for m in models])
    fig.canvas.draw()  # the saved figure's geometry
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]
    assert len(boxes) == len(models)
    for i, a in enumerate(boxes):
        assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (ax.texts[i].get_text(), a, b)
    assert "14 models" in ax.get_title()  # too many names for a title: their count


def test_first_half_share_by_hand():
    assert first_half_share([1, 1, 1, 1]) == 0.5
    assert first_half_share([3, 1]) == 0.75
    assert first_half_share([2, 2, 0]) == (2 + 0.5 * 2) / 4  # the middle bar is split at the half
    assert first_half_share([0, 0]) == 0.0


def test_memory_title_keeps_the_lecture_only_where_true():
    headline, shares = memory_title("m", [3, 1], [1, 3])
    assert "early layers hold the activations" in headline and "75%" in shares
    headline, shares = memory_title("m", [1, 3], [3, 1])  # the opposite model
    assert headline == "m: activation and parameter memory per layer" and "25%" in shares


@pytest.mark.parametrize("model, lecture", [("vgg16", True), ("inception-naive", False)])
def test_memory_plot_title_describes_the_model(model, lecture):
    """VGG-16: conv activations first, 3 FC layers with most weights last. The naive Inception module's
    largest output is its final concat, and its largest weights (the 5x5 branch) sit mid-way."""
    fig = memory_vs_params(analyze(model))
    title = fig.get_suptitle()
    assert title.startswith(model) and ("early layers hold the activations" in title) == lecture


@pytest.mark.parametrize("argv", [
    ["plot", "accuracy", "alexnet"], ["plot", "memory", "alexnet"], ["plot", "macs", "alexnet"],
    ["plot", "memory-timeline", "alexnet"], ["memory", "alexnet"],
])
def test_symbolic_input_is_one_line_exit_2(tmp_path, capsys, argv):
    out = ["--out", str(tmp_path / "x.png")] if argv[0] == "plot" else []
    assert run([*argv, "--input", "3xHxW", *out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "3xHxW" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_input_help_offers_only_what_is_accepted(capsys):
    """plot refuses symbols, so its --input help does not offer them; summary accepts them and says so."""
    run(["plot", "--help"])
    plot_help = " ".join(capsys.readouterr().out.split())
    run(["summary", "--help"])
    summary_help = " ".join(capsys.readouterr().out.split())
    assert "3x224x224" in plot_help and "symbolic" not in plot_help and "3xHxW" not in plot_help
    assert "symbolic" in summary_help
