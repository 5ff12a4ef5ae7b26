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


GIVEN = "--accuracy"  # the top1_source of a top-1 given on the command line


def models_title(names, limit: int = 60) -> str:
    """The plotted models for a title: their names when they fit in `limit` characters, else their count."""
    names = list(dict.fromkeys(names))
    text = ", ".join(names)
    return text if len(text) <= limit else f"{len(names)} models"


def accuracy_vs_macs(rows: list):
    """Top-1 accuracy (%) against GMACs (log scale), bubble area proportional to parameters.

    `rows` are archcalc.analyses.comparison.model_row() dicts, whose top1 may have been given by the user
    (top1_source GIVEN); rows without a top-1 are left out and named in the caption.
    """
    shown = [r for r in rows if r["top1"] is not None]
    if not shown:
        raise InputError("accuracy plot: none of the models has a top-1 (published in archcalc.analyses.accuracy, "
                         "or given with --accuracy NAME=76.1)")
    fig = _figure(8, 5.6)
    ax = fig.add_subplot()
    scale = 12.0  # points^2 per million parameters
    labels = []
    for i, r in enumerate(shown):
        gmacs, m_params = r["macs"] / 1e9, r["params"] / 1e6
        ax.scatter(gmacs, r["top1"], s=m_params * scale, alpha=0.45, color=PALETTE[i % len(PALETTE)], edgecolors="0.2",
                   linewidths=0.6, zorder=2)
        radius = (m_params * scale / math.pi) ** 0.5  # points; the label starts just outside the bubble
        text = ax.annotate(f"{r['model']}\n{m_params:.1f}M params", (gmacs, r["top1"]), xytext=(radius + 3, 0),
                           textcoords="offset points", ha="left", va="center", fontsize=7.5, zorder=3,
                           arrowprops=dict(arrowstyle="-", color="0.45", linewidth=0.6, shrinkA=1,
                                           shrinkB=radius))
        text.set_in_layout(False)  # placed after the layout is settled: it must not move the axes
        labels.append((text, radius))
    ax.set_xscale("log")
    ax.set_xlabel("compute per image: conv + linear multiply-accumulates (GMACs, log scale)")
    given = [r for r in shown if r.get("top1_source") == GIVEN]
    ax.set_ylabel("top-1 accuracy (%)" if given else "ImageNet-1K top-1 accuracy (%)")
    ax.set_title(f"Top-1 against compute: {models_title(r['model'] for r in shown)}\nbubble area = parameters")
    ax.grid(True, which="both", alpha=0.3, zorder=0)
    xs = [r["macs"] / 1e9 for r in shown]
    ys = [r["top1"] for r in shown]
    ax.set_xlim(min(xs) / 1.8, max(xs) * 3.5)  # room for the labels right of the largest bubble
    ax.set_ylim(min(ys) - 4, max(ys) + 4)
    for m in (10, 50, 100):  # a size key
        ax.scatter([], [], s=m * scale, color="0.7", edgecolors="0.2", linewidths=0.6, label=f"{m}M params")
    ax.legend(loc="lower right", labelspacing=1.6, borderpad=1.0, handletextpad=1.8, frameon=True, fontsize=8)
    _caption(fig, _accuracy_caption(rows, shown, given))  # first: the caption moves the axes
    _untangle(fig, ax, labels)
    return fig


def _accuracy_caption(rows: list, shown: list, given: list) -> str:
    published = [r["model"] for r in shown if r.get("top1_source") != GIVEN]
    parts = []
    if published:
        parts.append(f"Top-1 of {', '.join(published)}: torchvision's published ImageNet-1K accuracy of its "
                     "IMAGENET1K_V1 weights (single 224 crop; https://docs.pytorch.org/vision/stable/models.html).")
    if given:
        parts.append("Top-1 given with --accuracy, plotted as given: "
                     + ", ".join(f"{r['model']} {r['top1']:g}%" for r in given) + ".")
    inputs = {r["input"] for r in shown}
    at = f"at {inputs.pop()}" if len(inputs) == 1 else "at each model's input"
    parts.append(f"MACs and parameters: archcalc, analytic, batch 1 {at}.")
    missing = [r["model"] for r in rows if r["top1"] is None]
    if missing:
        parts.append(f"Not shown, no top-1 (give one with --accuracy NAME=VALUE): {', '.join(missing)}.")
    return " ".join(parts)


# where a label may sit around its bubble: 16 directions, each with the text's alignment that keeps it outside
_SIDES = tuple(((round(math.cos(a), 3), round(math.sin(a), 3)),
                "left" if math.cos(a) > 0.3 else "right" if math.cos(a) < -0.3 else "center",
                "bottom" if math.sin(a) > 0.3 else "top" if math.sin(a) < -0.3 else "center")
               for a in (math.radians(d) for d in (0, 180, 270, 90, 45, 135, 315, 225,
                                                   22.5, 157.5, 337.5, 202.5, 67.5, 112.5, 292.5, 247.5)))
_RINGS = (3, 12, 24, 38, 54, 72, 92, 114, 140)  # points from a bubble's edge to its label; past the first, a line
# what a spot costs, per pixel^2 of: a placed label or a leader line under it, the plot's frame crossed, another
# bubble under it (translucent, the least bad); and per point of distance from the bubble
_WEIGHTS = {"label": 60.0, "frame": 1000.0, "bubble": 1.0, "distance": 60.0}


def _untangle(fig, ax, labels) -> None:
    """Place each label next to its bubble at the cheapest spot (_WEIGHTS): over no placed label or leader
    line, inside the axes, clear of other bubbles and of the legend, near its bubble; a label past the first
    ring is joined to its bubble by a leader line. Deterministic: the same figure gets the same places."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()  # settle the layout so that extents are final
    px = fig.dpi / 72.0  # pixels per point
    frame = ax.get_window_extent(renderer).extents
    legend = ax.get_legend()
    placed = [legend.get_window_extent(renderer).extents] if legend is not None else []
    bubbles = [(*ax.transData.transform(t.xy), radius * px) for t, radius in labels]
    lines: list = []
    for index, (text, radius) in enumerate(labels):
        box = Text.get_window_extent(text, renderer)  # the text alone; an Annotation's adds its leader line
        cx, cy, r = bubbles[index]
        others = bubbles[:index] + bubbles[index + 1:]
        best = None
        for gap in _RINGS:
            for (dx, dy), ha, va in _SIDES:
                x, y = cx + dx * (r + gap * px), cy + dy * (r + gap * px)
                x0 = {"left": x, "right": x - box.width, "center": x - box.width / 2}[ha]
                y0 = {"bottom": y, "top": y - box.height, "center": y - box.height / 2}[va]
                extents = (x0, y0, x0 + box.width, y0 + box.height)
                line = ((cx + dx * r, cy + dy * r), (x, y)) if gap != _RINGS[0] else None
                cost = _clash(extents, line, frame, placed, lines, others) + _WEIGHTS["distance"] * gap
                if best is None or cost < best[0]:
                    best = (cost, extents, line, (dx * (r / px + gap), dy * (r / px + gap)), ha, va)
        _, extents, line, offset, ha, va = best
        text.set(ha=ha, va=va)
        text.xyann = offset
        text.arrow_patch.set_visible(line is not None)
        placed.append(extents)
        if line is not None:
            lines.append(line)


def _overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _crosses(box, line, steps: int = 12) -> int:
    """How many of `steps` points along `line` fall inside `box`."""
    (x0, y0), (x1, y1) = line
    points = ((x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(1, steps))
    return sum(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in points)


def _clash(box, line, frame, boxes, lines, circles) -> float:
    """What the spot `box` (x0, y0, x1, y1 in pixels) with its leader `line` costs, by _WEIGHTS."""
    width, height = box[2] - box[0], box[3] - box[1]
    label = sum(_overlap(box, other) for other in boxes)
    label += sum(_crosses(box, other) for other in lines) * width * height / 12  # a line through the box
    if line is not None:
        label += sum(_crosses(other, line) for other in boxes) * width * height / 12  # its line through others
    bubble = 0.0
    for cx, cy, r in circles:  # the box against a circle: how deep the box's nearest point is inside it
        nx, ny = min(max(cx, box[0]), box[2]), min(max(cy, box[1]), box[3])
        bubble += max(0.0, r - math.hypot(nx - cx, ny - cy)) * width
    outside = (max(0.0, frame[0] - box[0]) + max(0.0, box[2] - frame[2])) * height + \
        (max(0.0, frame[1] - box[1]) + max(0.0, box[3] - frame[3])) * width
    return _WEIGHTS["label"] * label + _WEIGHTS["frame"] * outside + _WEIGHTS["bubble"] * bubble


def _auto_depth(report, limit: int = 60):
    """None (every layer) if that gives at most `limit` bars, else the deepest block folding that does."""
    from ..core.report import fold

    for depth in (None, 3, 2, 1):
        if len([r for r in fold(report, depth) if r.params or r.activation_elems]) <= limit:
            return depth
    return 1


def first_half_share(values: list) -> float:
    """The share of sum(values) in the first half of the bars, bar i covering [i, i+1) of [0, len); 0 if none."""
    total, half = sum(values), len(values) / 2
    return sum(v * min(1.0, max(0.0, half - i)) for i, v in enumerate(values)) / total if total else 0.0


def memory_title(model: str, act: list, par: list) -> tuple:
    """(headline, shares) of the memory plot, from its bars: the lecture's "early layers hold the activations,
    late layers the parameters" only where it holds for this model (more than half of each in that half)."""
    early_act, late_par = first_half_share(act), 1.0 - first_half_share(par)
    shares = (f"{100 * early_act:.0f}% of the activation memory is in the first half of the bars, "
              f"{100 * late_par:.0f}% of the parameter memory in the second")
    if early_act > 0.5 and late_par > 0.5 and sum(par):
        return f"{model}: early layers hold the activations, late layers the parameters", shares
    return f"{model}: activation and parameter memory per layer", shares


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
    headline, shares = memory_title(report.model, act, par)
    fig.suptitle(headline)
    top.set_title(shares, fontsize=9)
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
    fig.suptitle(f"MACs by layer kind: {models_title(names)}")
    for ax, title in ((absolute, "per image"), (share, "as shares of each model's MACs")):
        ax.set_xticks(list(x), names, rotation=30, ha="right")
        ax.set_title(title)
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    fig.legend(*absolute.get_legend_handles_labels(), loc="outside right center", fontsize=8, title="layer kind")
    inputs = {str(r.input) for r in reports}
    at = f"at {inputs.pop()}" if len(inputs) == 1 else "at each model's input"
    _caption(fig, f"archcalc, analytic; batch 1 {at}. MACs: conv + linear "
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
