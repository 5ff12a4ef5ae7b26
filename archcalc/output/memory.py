"""`archcalc memory` as a Table: inference, the training step and backward compute term by term, the
budget's answer, and (asked for) the layers; JSON with every term in bytes and MACs."""

from __future__ import annotations

from ..core.report import json_value
from .numbers import exact, megabytes, si, size
from .tables import Table

TERMS = ("term", "bytes", "what it counts")
COMPUTE = ("term", "MACs", "what it counts")
BUDGET = ("term", "value", "how")
PROSE = ("what it counts", "how")  # a narrow terminal wraps them at spaces rather than hide them
LAYER_COLUMNS = ("layer", "output", "out MB", "saved MB", "grads MB", "bwd MACs")
LAYER_RIGHT = ("out MB", "saved MB", "grads MB", "bwd MACs")
SORTS = {"order": None, "saved": "saved", "output": "output", "gradients": "gradients", "backward": "backward"}
OPTIMIZER_STATE = {"sgd": "SGD keeps none", "sgd-momentum": "a momentum buffer per parameter",
                   "adam": "exp_avg and exp_avg_sq per parameter, a float32 step per tensor",
                   "adamw": "exp_avg and exp_avg_sq per parameter, a float32 step per tensor"}


def _setting_text(plan) -> str:
    s, r = plan.setting, plan.report
    precision = f"mixed precision ({s.dtype} activations, float32 weights)" if s.amp else s.dtype
    return f"batch {r.batch}, {precision}, {s.optimizer}, {s.device}"


def inference_rows(plan) -> list:
    r, s = plan.report, plan.setting
    t = r.totals
    rows = [["weights", size(plan.weights), f"{exact(t['params'])} parameters x {s.param_bytes} B"],
            ["buffers", size(plan.buffers), f"{exact(t['buffers'])} values not trained (batch-norm statistics)"
             if t["buffers"] else "none"]]
    if s.amp:
        rows.append(["half copy of weights", size(plan.half_weights), "autocast's casts of conv, linear, matmul"])
    rows += [["activations at peak", size(plan.inference.peak_bytes),
              f"tensors alive at once, at {plan.inference.at_layer} (input included)"],
             ["inference total", size(plan.inference_total),
              "weights + buffers" + (" + half copy" if s.amp else "") + " + activations at peak"]]
    return rows


def training_rows(plan) -> list:
    s = plan.setting
    m = plan.peak_moment
    when = "at the optimizer's update" if m.phase == "update" else f"in the {m.phase} of {m.layer}"
    rows = [["weights and buffers", size(plan.weights + plan.buffers), "as for inference"
             + (", float32 master copy" if s.amp else "")],
            ["gradients", size(plan.gradients), f"one per trainable parameter, {s.param_bytes} B each"],
            ["optimizer state", size(plan.optimizer_state), f"{s.optimizer}: {OPTIMIZER_STATE[s.optimizer]}"]]
    if s.amp:
        rows.append(["half copy of weights", size(plan.half_weights), "autocast's casts, kept for backward"])
    rows += [["saved for backward", size(plan.saved.total_bytes), "what autograd keeps (per layer: --layers)"],
             ["activations at peak", size(m.activations), f"alive {when}: saved and in flight"],
             ["gradients at peak", size(m.gradients), "activation gradients in flight, parameter gradients"],
             ["training step peak", size(plan.training_peak), "the resident terms + both at peak"]]
    return rows


def compute_rows(plan) -> list:
    b, forward = plan.backward, plan.report.totals["macs"]
    ratio = f" = {float(b.total) / float(forward):.2f} x forward" if forward else ""
    return [["forward", si(forward), "MACs: conv, linear, matrix products"],
            ["backward, data gradients", si(b.data_total), "MACs: each product again for its input's gradient"],
            ["backward, weight gradients", si(b.weight_total), "MACs: each product again for its weights'"],
            ["backward", si(b.total), f"MACs{ratio}; a step is forward + backward"]]


def budget_rows(answer) -> list:
    rows = []
    for what, fit, figures in (("training", answer.training, answer.training_bytes),
                               ("inference", answer.inference, answer.inference_bytes)):
        if fit.batch == 0:
            rows.append([f"{what}: largest batch", "none", f"batch 1 needs {size(figures[0])}"])
            continue
        line = fit.line
        how = f"{size(line.fixed)} + {size(line.per_sample)} x batch (set by the {line.where})"
        rows += [[f"{what}: largest batch", exact(fit.batch), how],
                 [f"{what}: needs at {fit.batch}", size(figures[0]), f"{exact(figures[0])} B, within the budget"],
                 [f"{what}: needs at {fit.batch + 1}", size(figures[1]), f"{exact(figures[1])} B, over it"]]
    return rows


def layer_rows(plan, sort=None, top=None) -> list:
    """(name, output shape, output, saved, gradient bytes, backward MACs) per layer, as figures."""
    r, saved, back = plan.report, plan.saved, plan.backward
    nbytes, batch, pbytes = r.bytes_per_element, r.batch, plan.setting.param_bytes
    rows = []
    for s in r.layers:
        records = saved.requires_grad.get(s.name)
        rows.append({"name": s.name, "kind": s.kind, "output_shape": s.out_shape,
                     "output": s.activation_elems * nbytes * batch, "saved": saved.by_layer.get(s.name, 0),
                     "gradients": s.params * pbytes if records else 0,
                     "backward_data_macs": back.data.get(s.name, 0), "backward_weight_macs": back.weight.get(s.name, 0)})
    if sort:
        key = (lambda d: d["backward_data_macs"] + d["backward_weight_macs"]) if sort == "backward" else \
            (lambda d: d[sort])
        rows.sort(key=key, reverse=True)
    return rows[:top] if top else rows


def _layer_cells(rows: list) -> list:
    return [[d["name"], str(d["output_shape"]), megabytes(d["output"]), megabytes(d["saved"]),
             megabytes(d["gradients"]), si(d["backward_data_macs"] + d["backward_weight_macs"])] for d in rows]


LAYER_FIGURES = ("name", "kind", "output_shape", "output_bytes", "saved_bytes", "gradient_bytes",
                 "backward_data_macs", "backward_weight_macs")


def _layer_figures(rows: list) -> list:
    return [[d["name"], d["kind"], str(d["output_shape"]), d["output"], d["saved"], d["gradients"],
             d["backward_data_macs"], d["backward_weight_macs"]] for d in rows]


def memory_document(plan, answer=None, rows=None) -> dict:
    """Every term, in bytes and MACs: the JSON of `archcalc memory` (schema 1)."""
    r, s, m, b = plan.report, plan.setting, plan.peak_moment, plan.backward
    v = json_value
    doc = {"schema": 1, "model": r.model, "input": [v(d) for d in r.input.as_list()], "batch": r.batch,
           "dtype": s.dtype, "amp": s.amp, "optimizer": s.optimizer, "device": s.device,
           "inference": {"weights_bytes": v(plan.weights), "buffers_bytes": v(plan.buffers),
                         "half_weights_bytes": v(plan.half_weights),
                         "activation_peak_bytes": v(plan.inference.peak_bytes), "peak_at": plan.inference.at_layer,
                         "total_bytes": v(plan.inference_total)},
           "training": {"weights_bytes": v(plan.weights), "buffers_bytes": v(plan.buffers),
                        "half_weights_bytes": v(plan.half_weights), "gradients_bytes": v(plan.gradients),
                        "optimizer_state_bytes": v(plan.optimizer_state),
                        "saved_for_backward_bytes": v(plan.saved.total_bytes),
                        "peak": {"phase": m.phase, "layer": m.layer, "activations_bytes": v(m.activations),
                                 "gradients_bytes": v(m.gradients)},
                        "peak_bytes": v(plan.training_peak)},
           "backward": {"forward_macs": v(r.totals["macs"]), "data_macs": v(b.data_total),
                        "weight_macs": v(b.weight_total), "total_macs": v(b.total)},
           "budget": None}
    if answer is not None:
        doc["budget"] = {"bytes": answer.budget, "training": _fit_json(answer.training, answer.training_bytes),
                         "inference": _fit_json(answer.inference, answer.inference_bytes)}
    doc["layers"] = [dict(zip(LAYER_FIGURES, [v(x) if not isinstance(x, str) else x for x in row]))
                     for row in _layer_figures(rows if rows is not None else layer_rows(plan))]
    doc["timeline"] = [{"phase": t.phase, "layer": t.layer, "activations_bytes": v(t.activations),
                        "gradients_bytes": v(t.gradients)} for t in plan.moments]
    return doc


def _fit_json(fit, figures) -> dict:
    line = fit.line
    return {"batch": fit.batch, "bytes_at_batch": figures[0], "bytes_at_next_batch": figures[1],
            "fixed_bytes": line.fixed if line else None, "per_sample_bytes": line.per_sample if line else None,
            "binding": line.where if line else None}


def memory_table(plan, answer=None, layers: bool = False, sort=None, top=None) -> Table:
    """The whole of `archcalc memory`'s output. CSV: the layers' figures in bytes and MACs."""
    rows = layer_rows(plan, sort, top)
    r = plan.report
    sections = [Table("Training step", TERMS, training_rows(plan), right=("bytes",), heading="Training step",
                      wrap=PROSE),
                Table("Backward compute", COMPUTE, compute_rows(plan), right=("MACs",), heading="Backward compute",
                      wrap=PROSE)]
    if answer is not None:
        title = f"Budget {size(answer.budget)}"
        sections.append(Table(title, BUDGET, budget_rows(answer), right=("value",), heading=title, wrap=PROSE))
    if layers or sort or top:
        sections.append(Table("Per layer", LAYER_COLUMNS, _layer_cells(rows), right=LAYER_RIGHT, heading="Per layer"))
    notes = [f"[bold]model[/]: {r.model} at {r.input}; {_setting_text(plan)}",
             "[dim]peaks are estimates: op workspaces (cuDNN, im2col) and allocator rounding are not counted; "
             "MB = 10^6 bytes[/]"]
    paragraphs = [f"{r.model} at {r.input}; {_setting_text(plan)}. Peaks are estimates: op workspaces (cuDNN, "
                  "im2col) and allocator rounding are not counted; MB = 10^6 bytes."]
    return Table("Inference", TERMS, inference_rows(plan), right=("bytes",), notes=notes, paragraphs=paragraphs,
                 document=lambda: memory_document(plan, answer, rows), then=tuple(sections),
                 figures=(LAYER_FIGURES, _layer_figures(rows)), heading="Inference", wrap=PROSE)
