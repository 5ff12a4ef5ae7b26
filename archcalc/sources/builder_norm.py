"""Builder methods of one family of kinds, mixed into Net (sources/builder.py).

Normalisation kinds beyond batch norm: layer norm (over the last axes, or over channels as ConvNeXt
writes it), group norm, instance norm.
Each method checks its attributes (builder_checks) and calls self.layer(kind, attrs, inputs, name).
"""

from __future__ import annotations


class NormMethods:
    """Mixed into Net: uses its `layer` and `name`."""
