"""What backward keeps of the modules run on parameters alone, once per forward (torch_param_modules: timm's
RelPosMlp on its coordinate buffer, in CoAtNet-RMLP, MaxViT-RMLP, ViT-RelPos): an analytic tally, for
analyses/backward_memory.

Such a module's tensors hold no sample, so they are in no layer; but in training, autograd keeps some of
them for the MLP's weights' gradients, once per forward at any batch. The rules are each op's own
(derivatives.yaml, as core/rules/ writes them for layers), measured with saved_tensors_hooks:
- a Linear keeps its input (for its weight's gradient), unless the input is a parameter or buffer itself
  (the coordinate buffer: in memory anyway, as backward_memory counts no parameter or buffer);
- an activation, module or function, keeps its output (ReLU, Sigmoid, Tanh) or its input (GELU, SiLU, ...:
  activation.py's BACKWARD_KEEPS), as do exp and sqrt (output), clamp, log and abs (input); its output is a
  new tensor;
- Dropout with p > 0 (training) multiplies by a scaled noise tensor off CUDA and keeps it (dropout.py); the
  output is a new tensor. Identity keeps nothing.
Each tensor is counted once however many ops keep it (the ReLU's output that the next Linear keeps too).
The tally, in elements, is Importer.param_saved; the Graph keeps it in extras["torch_params"]["param_saved"].
"""

from __future__ import annotations

from ..core.shape import product
from .torch_values import Param

# these keep their result, the others their input (core/rules/activation.py; derivatives.yaml for exp, sqrt,
# clamp, log, abs)
RESULT_KEPT = ("relu", "sigmoid", "tanh", "exp", "sqrt")


def _state(imp) -> tuple:
    """(made: id -> Param made by such an op, a new tensor; kept: ids already counted)."""
    if not hasattr(imp, "param_made"):
        imp.param_made, imp.param_kept, imp.param_saved = {}, set(), 0
    return imp.param_made, imp.param_kept


def requires_grad(p: Param) -> bool:
    """A trainable parameter, or a tensor made from parameters (not from buffers alone)."""
    if not p.parts:
        return p.trainable and not p.is_buffer
    return any(not is_buffer for _, _, is_buffer in p.sources())


def made(imp, p: Param) -> Param:
    """p as a new tensor this forward (an op's output)."""
    made_by, _ = _state(imp)
    made_by[id(p)] = p  # held, so the id is not reused
    return p


def keep(imp, p: Param) -> None:
    """Backward keeps p: counted once, where p is a tensor made this forward (not a parameter or buffer)."""
    made_by, kept = _state(imp)
    if id(p) in made_by and id(p) not in kept:
        kept.add(id(p))
        imp.param_saved += product(p.shape)


def through(imp, m, kind, p: Param) -> Param:
    """An activation (kind), a dropout (kind "dropout") or an identity (None) run on p: its output. An op on
    a tensor that requires no grad records nothing."""
    if kind is None or kind == "dropout" and not getattr(m, "p", 0) > 0:
        return p  # p = 0: torch returns the input itself
    out = made(imp, p.derived(p.shape))
    if not requires_grad(p):
        return out
    if kind == "dropout":
        _state(imp)
        imp.param_saved += product(p.shape)  # the scaled noise, kept by the multiply
    else:
        keep(imp, out if kind in RESULT_KEPT else p)
    return out
