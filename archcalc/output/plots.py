"""matplotlib figures of the comparison; each function returns a Figure, saving is save_figure's job.

Figures are made with matplotlib's object API (no pyplot state; the Agg canvas renders them), with units
on every axis and their sources in a caption. save_figure writes PNG or SVG byte-for-byte reproducibly:
no date or software version in the metadata, a fixed SVG id salt.
"""

from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path

from ..conventions import MB
from ..errors import InputError
from .files import write_atomic

SUFFIXES = (".png", ".svg")
SVG_HASHSALT = "archcalc"  # SVG element ids come from a hash; a fixed salt makes them the same every run
DPI = 150
PALETTE = [f"C{i}" for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)]  # tab10 without its grey, which the size key uses


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _caption(fig, text: str, width: int = 130) -> None:
    """Sources and conventions under the plot, wrapped, small."""
    fig.get_layout_engine().set(h_pad=0.1)
    fig.supxlabel("\n".join(textwrap.wrap(text, width)), fontsize=7, color="0.35", ha="left", x=0.01)


def accuracy_vs_macs(rows: list):
    """Top-1 accuracy (%) against GMACs (log scale), bubble area proportional to parameters.

    `rows` are archcalc.analyses.comparison.model_row() dicts; rows without a published top-1 are left out and named.
    """
    shown = [r for r in rows if r["top1"] is not None]
    if not shown:
        raise InputError("accuracy plot: none of the models has a published top-1 (see archcalc.analyses.accuracy)")
    fig = _figure(8, 5.6)
    ax = fig.add_subplot()
    scale = 12.0  # points^2 per million parameters
    labels = []
    for i, r in enumerate(shown):
        gmacs, m_params = r["macs"] / 1e9, r["params"] / 1e6
        ax.scatter(gmacs, r["top1"], s=m_params * scale, alpha=0.45, color=PALETTE[i % len(PALETTE)], edgecolors="0.2",
                   linewidths=0.6, zorder=2)
        radius = (m_params * scale / math.pi) ** 0.5  # points; the label starts just right of the bubble
        labels.append((ax.annotate(f"{r['model']}\n{m_params:.1f}M params", (gmacs, r["top1"]),
                                   xytext=(radius + 3, 0), textcoords="offset points", ha="left", va="center",
                                   fontsize=7.5, zorder=3), radius))
    ax.set_xscale("log")
    ax.set_xlabel("compute per image: conv + linear multiply-accumulates (GMACs, log scale)")
    ax.set_ylabel("ImageNet-1K top-1 accuracy (%)")
    ax.set_title("Accuracy against compute; bubble area = parameters")
    ax.grid(True, which="both", alpha=0.3, zorder=0)
    xs = [r["macs"] / 1e9 for r in shown]
    ys = [r["top1"] for r in shown]
    ax.set_xlim(min(xs) / 1.8, max(xs) * 3.5)  # room for the labels right of the largest bubble
    ax.set_ylim(min(ys) - 4, max(ys) + 4)
    for m in (10, 50, 100):  # a size key
        ax.scatter([], [], s=m * scale, color="0.7", edgecolors="0.2", linewidths=0.6, label=f"{m}M params")
    ax.legend(loc="lower right", labelspacing=1.6, borderpad=1.0, frameon=True, fontsize=8)
    _untangle(fig, labels)
    missing = [r["model"] for r in rows if r["top1"] is None]
    caption = ("Top-1: torchvision's published ImageNet-1K accuracy of its IMAGENET1K_V1 weights (single 224 "
               "crop; https://docs.pytorch.org/vision/stable/models.html). MACs and parameters: archcalc, "
               "analytic, batch 1 at each model's default input.")
    if missing:
        caption += f" Not shown (no published top-1 in archcalc): {', '.join(missing)}."
    _caption(fig, caption)
    return fig


def _untangle(fig, labels) -> None:
    """Move a label that overlaps an earlier one to the left of its bubble, else below, else above it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()  # settle the layout so that label extents are final
    placed = []
    for text, radius in labels:
        for xytext, ha, va in (((radius + 3, 0), "left", "center"), ((-radius - 3, 0), "right", "center"),
                               ((0, -radius - 3), "center", "top"), ((0, radius + 3), "center", "bottom")):
            text.set(ha=ha, va=va)
            text.xyann = xytext
            box = text.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                break
        placed.append(text.get_window_extent(renderer))


def _auto_depth(report, limit: int = 60):
    """None (every layer) if that gives at most `limit` bars, else the deepest block folding that does."""
    from ..core.report import fold

    for depth in (None, 3, 2, 1):
        if len([r for r in fold(report, depth) if r.params or r.activation_elems]) <= limit:
            return depth
    return 1


def memory_vs_params(report, depth=None):
    """Per layer (or block), activation memory (MB) above and parameter memory (MB) below, in network order."""
    from ..core.report import fold

    depth = depth if depth is not None else _auto_depth(report)
    rows = [r for r in fold(report, depth) if r.params or r.activation_elems]
    nbytes = report.bytes_per_element
    act = [r.activation_elems * report.batch * nbytes / MB for r in rows]
    par = [r.params * nbytes / MB for r in rows]
    fig = _figure(max(8.0, 0.2 * len(rows) + 2), 6.4)
    top, bottom = fig.subplots(2, 1, sharex=True)
    x = range(len(rows))
    top.bar(x, act, color="C0")
    bottom.bar(x, par, color="C1")
    top.set_ylabel("activation memory\n(MB per image)")
    bottom.set_ylabel("parameter memory\n(MB)")
    for ax in (top, bottom):
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    labels = [r.name if r.kind == "block" else f"{r.name} ({r.kind})" for r in rows]
    bottom.set_xticks(list(x), labels, rotation=90, fontsize=6.5 if len(rows) > 30 else 8)
    bottom.set_xlabel("layer, input to output" + (f" (blocks folded at name depth {depth})" if depth else ""))
    top.set_title(f"{report.model}: early layers hold the activations, late layers the parameters")
    total_act, total_par = sum(act), sum(par)
    _caption(fig, f"archcalc, analytic; {report.model} at {report.input}, batch {report.batch}, {report.dtype}. "
                  f"Activation memory: each layer's output once (in-place activations add nothing); total "
                  f"{total_act:,.1f} MB. Parameter memory: weights + biases; total {total_par:,.1f} MB. "
                  "MB = 10^6 bytes. Source of the architecture: " + (report.source or "user spec") + ".")
    return fig


def macs_by_kind(reports: list, graphs: list):
    """MACs per model split by layer kind (conv by kernel size, linear): GMACs stacked, and shares in %."""
    names = [r.model for r in reports]
    splits = [_split_macs(r, g) for r, g in zip(reports, graphs)]
    kinds = sorted({k for s in splits for k in s}, key=_kind_order)
    fig = _figure(max(9.0, 1.1 * len(names) + 3), 5.4)
    absolute, share = fig.subplots(1, 2)
    x = range(len(names))
    base_abs, base_pct = [0.0] * len(names), [0.0] * len(names)
    for i, kind in enumerate(kinds):
        gmacs = [s.get(kind, 0) / 1e9 for s in splits]
        totals = [sum(s.values()) or 1 for s in splits]
        pct = [100.0 * s.get(kind, 0) / t for s, t in zip(splits, totals)]
        absolute.bar(x, gmacs, bottom=base_abs, color=f"C{i % 10}", label=kind)
        share.bar(x, pct, bottom=base_pct, color=f"C{i % 10}")
        base_abs = [b + v for b, v in zip(base_abs, gmacs)]
        base_pct = [b + v for b, v in zip(base_pct, pct)]
    absolute.set_ylabel("multiply-accumulates per image (GMACs)")
    share.set_ylabel("share of the model's MACs (%)")
    share.set_ylim(0, 100)
    for ax, title in ((absolute, "MACs by layer kind"), (share, "the same, as shares")):
        ax.set_xticks(list(x), names, rotation=30, ha="right")
        ax.set_title(title)
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    fig.legend(*absolute.get_legend_handles_labels(), loc="outside right center", fontsize=8, title="layer kind")
    _caption(fig, "archcalc, analytic; batch 1 at each model's default input. MACs: conv + linear "
                  "multiply-accumulates (fvcore's and torchvision's convention); convolutions are split by "
                  "kernel size (grouped ones apart); other ops (norm, activation, pooling, add) are not MACs.")
    return fig


def _kind_label(attrs, kind: str) -> str:
    if kind != "conv":
        return kind
    kh, kw = attrs.kernel
    return f"conv {kh}x{kw}" + (" grouped" if attrs.groups > 1 else "")


def _kind_order(label: str):
    if label.startswith("conv "):
        kh = int(label.split()[1].split("x")[0])
        return (0, kh, label)
    return (1, 0, label)


def _split_macs(report, graph) -> dict:
    """MACs of one model by kind label, from the report's layers and the graph's attributes."""
    attrs = {layer.name: layer.attrs for layer in graph.layers}
    split: dict = {}
    for s in report.layers:
        if s.macs:
            label = _kind_label(attrs[s.name], s.kind)
            split[label] = split.get(label, 0) + s.macs * report.batch
    return split


def save_figure(fig, path) -> None:
    """Write `fig` as PNG or SVG (by suffix) atomically, without dates or versions in the file."""
    import matplotlib

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{path}: plots are written as {' or '.join(SUFFIXES)}, not '{suffix or 'no suffix'}'")
    if not path.parent.is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist")
    metadata = {"Software": None} if suffix == ".png" else {"Date": None, "Creator": None}
    rendered = io.BytesIO()  # rendered whole first: a failed render leaves the target untouched
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT}):
        fig.savefig(rendered, format=suffix[1:], metadata=metadata)
    write_atomic(path, rendered.getvalue())


def bench_times(results: list, title: str = ""):
    """Median forward time (ms, bars: IQR) and images/s against batch size, from `archcalc bench` results.

    One colour per model, one line style per setting (dtype, channels-last, compiled), so that a model's
    float32 and bfloat16 lines read as a pair.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig = _figure(11, 4.4)
    time_axes, rate_axes = fig.subplots(1, 2)
    models = list(dict.fromkeys(r["model"] for r in results))
    settings = list(dict.fromkeys(_setting(r) for r in results))
    styles = ("-", "--", ":", "-.")
    colours = {m: f"C{i % 10}" for i, m in enumerate(models)}
    series: dict = {}
    for r in results:
        series.setdefault((r["model"], _setting(r)), []).append(r)
    for (model, setting), rows in series.items():
        rows = sorted(rows, key=lambda r: r["batch"])
        batches = [r["batch"] for r in rows]
        label = model if len(settings) == 1 else f"{model} {setting}"
        style = dict(color=colours[model], linestyle=styles[settings.index(setting) % len(styles)], marker="o")
        time_axes.errorbar(batches, [r["median_ms"] for r in rows], yerr=[r["iqr_ms"] / 2 for r in rows],
                           capsize=3, label=label, **style)
        rate_axes.plot(batches, [r["images_per_s"] for r in rows], label=label, **style)
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    for axes, ylabel in ((time_axes, "median forward time per batch (ms); bars: IQR"),
                         (rate_axes, "images per second")):
        axes.set_xscale("log", base=2)
        axes.set_yscale("log")
        axes.set_xticks(sorted({r["batch"] for r in results}))
        axes.xaxis.set_major_formatter(plain)
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.yaxis.set_major_formatter(plain)
        axes.set_xlabel("batch size")
        axes.set_ylabel(ylabel)
        axes.grid(True, which="both", alpha=0.3)
    rate_axes.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def _setting(result: dict) -> str:
    return result["dtype"] + (" channels-last" if result.get("channels_last") else "") + \
        (" compiled" if result.get("compile") else "")
