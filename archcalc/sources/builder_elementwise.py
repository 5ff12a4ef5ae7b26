"""Builder methods of one family of kinds, mixed into Net (sources/builder.py).

Elementwise kinds beyond the activations: broadcast multiply and add (squeeze-and-excitation gates,
scaling), mish, identity, and stochastic depth's drop-path (the identity at inference).
Each method checks its attributes (builder_checks) and calls self.layer(kind, attrs, inputs, name).
"""

from __future__ import annotations


class ElementwiseMethods:
    """Mixed into Net: uses its `layer` and `name`."""
