"""The importer's handlers for torch modules called on a tensor computed from parameters and buffers alone,
not from the input: timm's RelPosMlp (CoAtNet-RMLP, MaxViT-RMLP, ViT-RelPos) and Swin-V2's continuous
position bias, an MLP run on a buffer of relative coordinates whose output, gathered by an index buffer,
is added to the attention scores.

Design. Such an MLP runs once per forward pass, whatever the batch: its input holds no sample. Its result
stays a Param (a tensor of parameters; torch_values), made of the MLP's weights and biases and the
coordinate buffer, so the layer that finally uses it (the `bias` kind added to the scores) holds every one
of those elements, once, and the parameter total still reconciles with module.parameters(). Its MACs
(torch's FlopCounterMode counts the MLP's matrix products, once per forward) are no layer's, since a
layer's MACs are per sample and scale with the batch: the importer adds them up per module
(Importer.param_macs, module path -> MACs), the Graph keeps the sum in extras["torch_params"]["param_macs"]
with a note naming the modules, and the engine adds it to the total MACs once, at any batch. So the total
equals FlopCounterMode's at batch 1 and stays right at batch N, and the note says where the extra MACs are.

Only modules whose cost is plain are followed: Linear (rows x in x out MACs, as torch's addmm), the
elementwise activations, dropout and identity (no MACs). Anything else called on parameters stays
unsupported.

A parameter expanded to the batch first (`latent.expand(B, -1, -1)`, the learned query of timm's
AttentionPoolLatent, SigLIP's MAP head) is the other case: torch runs the module on it once per sample, so
it becomes a layer, the `learned_tokens` kind (L x C parameters, a view, no MACs), and the module an
ordinary layer on it, whose MACs scale with the batch as torch's do. Expanded but joined by torch.cat (a
class token), it stays a parameter for the class_token kind.
"""

from __future__ import annotations

from ..core.shape import product
from .torch_functions import ACTS, FUNCTIONS, METHODS
from .torch_modules import ACTIVATIONS, MODULES
from .torch_param_saved import keep, made, through
from .torch_values import BATCH, Param, Tensor, UnsupportedOp


def _own(imp, module, attr: str):
    """The module's parameter `attr` as a Param with its qualified name, or None."""
    value = getattr(module, attr, None)
    if value is None:
        return None
    path = imp.node.target
    return Param(f"{path}.{attr}", tuple(value.shape), value.numel(), bool(value.requires_grad), False)


def add_param_macs(imp, path: str, macs: int) -> None:
    """MACs spent once per forward on tensors of parameters (see the module docstring)."""
    if not hasattr(imp, "param_macs"):
        imp.param_macs = {}
    imp.param_macs[path] = imp.param_macs.get(path, 0) + macs


class Batched(Param):
    """A parameter expanded to the batch (a learned query, `latent.expand(B, -1, -1)`): a module on it runs
    once per sample, not once per forward: it becomes the `learned_tokens` layer first. What is made from
    it (a reshape) stays expanded."""

    def derived(self, shape, *others) -> "Batched":
        p = Param.derived(self, shape, *others)
        return Batched(p.name, p.shape, p.numel, p.trainable, p.is_buffer, p.parts)


def _expand(original):
    def handler(imp, args, kwargs):
        result = original(imp, args, kwargs)
        sizes = args[1:] if len(args) != 2 or not isinstance(args[1], (tuple, list)) else args[1]
        if not isinstance(result, Param) or not any(s is BATCH for s in sizes):
            return result
        return Batched(result.name, result.shape, result.numel, result.trainable, result.is_buffer, result.parts)
    return handler


def learned_tokens(imp, p: Param) -> Tensor:
    """latent.expand(N, -1, -1) of a 1 x L x C parameter, met by a module: the `learned_tokens` kind, per
    sample (a learned query: what is computed from it runs once per sample, as in torch), on the model's
    input for the batch. (A class token expanded the same way and joined to the tokens stays a Param, for
    torch.cat's class_token.)"""
    from ..core.ir import INPUT, LearnedTokens

    if len(p.shape) != 3 or p.shape[0] != 1 or p.sources() != ((p.name, p.numel, p.is_buffer),) or \
            p.shape[1] * p.shape[2] != p.numel:
        raise UnsupportedOp("a module called on a parameter expanded to the batch")
    imp.uses(p)
    return imp.add_layer("learned_tokens", LearnedTokens(int(p.shape[1]), int(p.shape[2])), [Tensor(INPUT, imp.x)])


def _linear_on_param(imp, m, p: Param) -> Param:
    if not p.shape or p.shape[-1] != m.in_features:
        raise UnsupportedOp(f"Linear({m.in_features}, {m.out_features}) on a parameter of shape {p.shape}")
    own = [q for q in (_own(imp, m, "weight"), _own(imp, m, "bias")) if q is not None]
    rows = product(p.shape[:-1])
    add_param_macs(imp, imp.node.target, rows * m.in_features * m.out_features)
    if m.weight.requires_grad:  # backward keeps the input for the weight's gradient (torch_param_saved)
        keep(imp, p)
    return made(imp, p.derived(tuple(p.shape[:-1]) + (m.out_features,), *own))


def _wrap(name: str, original, on_param):
    def handler(imp, m, args, kwargs, layer_name):
        x = args[0] if args else None
        if isinstance(x, Batched) and on_param is not _same:  # a learned query: a layer per sample
            return original(imp, m, (learned_tokens(imp, x),) + tuple(args[1:]), kwargs, layer_name)
        if isinstance(x, Param):
            return on_param(imp, m, x)
        return original(imp, m, args, kwargs, layer_name)
    return handler


def _same(imp, m, p: Param) -> Param:
    """An activation, a dropout or an identity on parameters: the same elements, no MACs; what backward keeps
    of it is tallied in torch_param_saved."""
    if isinstance(p, Batched):
        return p
    kind = ACTIVATIONS.get(type(m).__name__) or ("dropout" if type(m).__name__ == "Dropout" else None)
    return through(imp, m, kind, p)


def register() -> None:
    METHODS["expand"] = _expand(METHODS["expand"])
    MODULES["Linear"] = _wrap("Linear", MODULES["Linear"], _linear_on_param)
    for name in (*ACTIVATIONS, "Dropout", "Identity"):
        MODULES[name] = _wrap(name, MODULES[name], _same)
    for act in ACTS:  # torch.sigmoid(P) (Swin-V2's 16 * sigmoid of its bias table): the same elements
        for key in (f"F.{act}", f"torch.{act}"):
            FUNCTIONS[key] = _act_function(FUNCTIONS[key], act)
    for key in ELEMENTWISE:  # Swin-V2's torch.clamp(logit_scale, max=log(100)).exp(): the same elements
        FUNCTIONS[key] = _act_function(FUNCTIONS.get(key), key.split(".")[-1])


ELEMENTWISE = ("torch.clamp", "torch.clip", "torch.exp", "torch.log", "torch.sqrt", "torch.abs")


def _act_function(original, kind: str):
    """An elementwise function of parameters alone: the same elements (no MACs, as FlopCounterMode); what
    backward keeps of it is tallied in torch_param_saved."""
    def handler(imp, args, kwargs):
        if args and isinstance(args[0], Param):
            return args[0] if isinstance(args[0], Batched) else through(imp, None, kind, args[0])
        if original is None:
            raise UnsupportedOp(f"function {imp.node_target_name()}")
        return original(imp, args, kwargs)
    return handler


def note(param_macs: dict) -> str:
    """The Graph's note on MACs spent on parameters alone (empty when none)."""
    total = sum(param_macs.values())
    if not total:
        return ""
    owners = sorted({path.rsplit(".", 1)[0] for path in param_macs})
    shown = ", ".join(owners[:3]) + (f" and {len(owners) - 3} more" if len(owners) > 3 else "")
    return (f"{total:,} MACs of linear layers run on parameters and buffers alone ({shown}: a relative position "
            "MLP on a coordinate buffer), once per forward pass at any batch: counted in the total, in no layer")


register()
