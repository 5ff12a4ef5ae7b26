"""Torch twin of the learned-query kind: a parameter of count x C expanded to the input's batch, as timm's
AttentionPoolLatent makes its query (`latent.expand(N, -1, -1)`)."""

from __future__ import annotations

import torch
from torch import nn

from . import makes


class LearnedTokens(nn.Module):
    """latent.expand(N, -1, -1): the input gives the batch only; the parameter is timm's name."""

    def __init__(self, count: int, channels: int):
        super().__init__()
        self.latent = nn.Parameter(torch.zeros(1, count, channels))

    def forward(self, x):
        # under no_grad a view of a parameter requires grad but has no grad_fn, which torch's module
        # tracker (FlopCounterMode) refuses: the detached view there (a view too, nothing allocated)
        latent = self.latent if torch.is_grad_enabled() else self.latent.detach()
        return latent.expand(x.shape[0], -1, -1)

    def reset_parameters(self):
        nn.init.normal_(self.latent, std=0.02)


@makes("learned_tokens")
def make_learned_tokens(a, xs):
    return LearnedTokens(a.count, a.channels)
