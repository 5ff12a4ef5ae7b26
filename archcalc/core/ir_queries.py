"""Attribute type of the learned-query kind (re-exported by core/ir.py): learned tokens broadcast to the
batch, as an attention pool's query (timm's AttentionPoolLatent: latent.expand(N, -1, -1))."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LearnedTokens:
    """`count` learned tokens of `channels` each, the same for every sample: a parameter of count x channels
    expanded to the batch (a view). The layer's input gives the batch only; none of its values is read."""

    count: int
    channels: int
