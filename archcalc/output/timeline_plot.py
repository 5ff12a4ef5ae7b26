"""The memory timeline of one training step as a figure: what is alive along forward, backward and the
optimizer's update, stacked, with the peak marked (analyses/step_timeline.py's moments)."""

from __future__ import annotations

from ..conventions import MB
from .numbers import size
from .plots import _caption, _figure


def memory_timeline(plan, budget=None):
    """Stacked areas in MB over the step's moments: resident (weights, buffers, optimizer state), activations
    (outputs in flight and what autograd keeps), gradients; the peak marked, `budget` (bytes) as a line."""
    moments, r, s = plan.moments, plan.report, plan.setting
    resident = float(plan.resident) / MB
    act = [float(m.activations) / MB for m in moments]
    grads = [float(m.gradients) / MB for m in moments]
    x = list(range(len(moments)))
    fig = _figure(10.0, 5.2)
    ax = fig.subplots()
    ax.stackplot(x, [resident] * len(x), act, grads, step="mid", colors=("0.75", "C0", "C1"), alpha=0.9,
                 labels=("weights, buffers, optimizer state", "activations (in flight and saved)", "gradients"))
    backward_starts = next((i for i, m in enumerate(moments) if m.phase != "forward"), len(moments))
    ax.axvline(backward_starts - 0.5, color="0.3", linestyle="--", linewidth=1)
    top = max(a + g for a, g in zip(act, grads)) + resident
    band = ax.get_xaxis_transform()  # x in data, y in axes: the labels sit on the resident band
    ax.text(backward_starts - 1, 0.02, "forward ", ha="right", va="bottom", fontsize=9, color="0.2", transform=band)
    ax.text(backward_starts, 0.02, " backward, update", ha="left", va="bottom", fontsize=9, color="0.2",
            transform=band)
    peak = moments.index(plan.peak_moment)
    ax.plot([peak], [float(plan.training_peak) / MB], marker="v", color="C3", markersize=9, zorder=5)
    where = "the optimizer's update" if moments[peak].phase == "update" else \
        f"{moments[peak].phase} of {moments[peak].layer}"
    ax.annotate(f"peak {size(plan.training_peak)}\n{where}", (peak, float(plan.training_peak) / MB),
                xytext=(0, 14), textcoords="offset points", ha="center" if 0.15 < peak / len(x) < 0.85 else
                ("left" if peak / len(x) <= 0.15 else "right"), fontsize=8, color="C3")
    if budget is not None:
        ax.axhline(budget / MB, color="C3", linewidth=1, linestyle=":", label=f"budget {size(budget)}")
    ax.set_ylim(0, max(top, (budget or 0) / MB) * 1.18)
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.set_xlabel(f"moments of the step: {backward_starts} layers forward, then their backward in reverse order, "
                  "then the optimizer's update")
    ax.set_ylabel("memory alive (MB)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.set_title(f"{r.model}: memory along one training step (batch {r.batch}, {s.dtype}"
                 f"{', amp' if s.amp else ''}, {s.optimizer})")
    _caption(fig, f"archcalc, analytic; {r.model} at {r.input}. Forward: a tensor is freed after its last use "
                  "unless autograd keeps it for backward; backward frees what each layer kept once it has run and "
                  "allocates the gradients of its inputs and parameters. Optimizer state is the steady state's "
                  "(second step on); Adam's update adds its temporaries. Not counted: op workspaces, allocator rounding. "
                  "MB = 10^6 bytes.", width=150)
    return fig
