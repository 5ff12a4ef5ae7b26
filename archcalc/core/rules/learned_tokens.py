"""Rules for `learned_tokens`: a learned query, count x C parameters expanded to the batch (timm's
AttentionPoolLatent, SigLIP's MAP head: `latent.expand(N, -1, -1)`), then used as any tokens are (a linear
projection, attention over the image's tokens). Its input gives the batch only.

Parameters: count x C. MACs, other ops: none (torch's expand is a view). Activation: none, for the same
reason; backward keeps nothing. Receptive field: the input's (the tokens hold no pixel; where they meet the
image's tokens, in attention, the field becomes global).
"""

from __future__ import annotations

from ...errors import ShapeError
from ..ir import LearnedTokens
from ..shape import Shape
from . import Params, ShapeOut, flags, rule
from .passthrough import no_macs, no_ops, same_rf
from .saved import Saved

flags("learned_tokens", weighted=False, moves_bytes=False, any_layout=True)
rule("learned_tokens", "macs")(no_macs)
rule("learned_tokens", "other_ops")(no_ops)
rule("learned_tokens", "rf")(same_rf)


@rule("learned_tokens", "shape")
def learned_tokens_shape(a: LearnedTokens, ins):
    """Output: count tokens x C, whatever the input (which gives the batch)."""
    if a.count < 1 or a.channels < 1:
        raise ShapeError(f"learned_tokens: count and channels must be positive, got {a.count}, {a.channels}")
    out = Shape(dims=(a.count, a.channels), roles="TC")
    return ShapeOut(out, f"{a.count} learned tokens x {a.channels}, expanded to the batch")


@rule("learned_tokens", "params")
def learned_tokens_params(a: LearnedTokens, ins):
    """Elements: count x C."""
    return Params(weights=a.count * a.channels)


@rule("learned_tokens", "activation")
def learned_tokens_activation(a, ins, out):
    """None: an expand is a view of the parameter."""
    return 0


@rule("learned_tokens", "saved")
def learned_tokens_saved(a, ins, out, device):
    """Nothing: an expand keeps nothing for backward."""
    return Saved(trainable=True)
