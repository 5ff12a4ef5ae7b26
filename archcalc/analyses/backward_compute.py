"""Multiply-accumulates of the backward pass, per layer: the data gradients and the weight gradients.

Convention: the backward pass repeats each product of the forward once for every operand that needs a
gradient. A conv, linear or matrix-product layer with weights computes the gradient of its input (as many
MACs as its forward) unless that input needs none (the first layer's input, layers after a frozen stem), and
the gradient of its weights (as many again). A product of two activations (attention's q k^T and a v)
takes its forward MACs once for each operand that requires grad. Layers before the first trainable one
record nothing. Hence backward is about 2 x the forward, one training step about 3 x. What FlopCounterMode
counts for the backward ops equals 2 x these MACs (tests/pytorch/test_memory_measured.py). Everything
else (activation and normalisation gradients, the optimizer's update) is other ops, not counted here, as
in the forward. MACs for the whole batch. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass, field



def _attention_products(a, ins):
    """Attention's q k^T and a v: 2 T^2 C (products of two activations; the rest is its projections)."""
    t, c = ins[0].dims
    return 2 * t * t * c


def _window_products(a, ins):
    """q k^T and a v within each window: 2 T N C on the padded map."""
    from ..core.rules.window_attention import _padded

    hp, wp, c, n = _padded(a, ins[0])
    return 2 * hp * wp * n * c


# kinds whose MACs mix products with the weights and products of two activations: the second part, per sample
ACTIVATION_PRODUCTS = {"attention": _attention_products, "window_attention": _window_products}


@dataclass(frozen=True)
class BackwardMacs:
    """Backward MACs per layer (layer -> MACs) for the data gradients and the weight gradients, and totals."""

    data: dict = field(default_factory=dict)
    weight: dict = field(default_factory=dict)
    data_total: object = 0
    weight_total: object = 0

    @property
    def total(self):
        return self.data_total + self.weight_total


def backward_macs(graph, report, saved) -> BackwardMacs:
    """Backward MACs of `graph` analysed in `report`; `saved` (a SavedEstimate) says which tensors require
    grad. MACs spent once per forward on parameters alone (a position-bias MLP) count once more for each."""
    stats = {s.name: s for s in report.layers}
    grad, batch = saved.requires_grad, report.batch
    data, weight = {}, {}
    for layer in graph.layers:
        s = stats[layer.name]
        if not grad[layer.name] or s.macs == 0:
            continue
        pair = _split(layer, s, [grad[i] for i in layer.inputs], saved)
        if pair[0] != 0:
            data[layer.name] = pair[0] * batch
        if pair[1] != 0:
            weight[layer.name] = pair[1] * batch
    once = (graph.extras.get("torch_params") or {}).get("param_macs", 0)
    return BackwardMacs(data, weight, _sum(data.values()) + once, _sum(weight.values()) + once)


def _split(layer, s, needs: list, saved) -> tuple:
    """(data, weight) MACs of one sample for one recording layer; `needs[i]`: input i requires grad."""
    kind = layer.kind
    trainable = layer.name in saved.trainable
    if kind in ACTIVATION_PRODUCTS:
        pairs = ACTIVATION_PRODUCTS[kind](layer.attrs, list(s.in_shapes))
        with_weights = s.macs - pairs
        return (with_weights if needs[0] else 0) + 2 * pairs, with_weights if trainable else 0
    if trainable:
        return (s.macs if needs and needs[0] else 0), s.macs
    # no weights (a product of two activations, a fixed filter): one gradient per operand that requires grad
    return s.macs * sum(needs), 0


def _sum(values):
    total = 0
    for value in values:
        total = total + value
    return total

