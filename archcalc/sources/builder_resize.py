"""Builder methods of one family of kinds, mixed into Net (sources/builder.py).

Kinds that change spatial size other than by a sliding window: transposed convolution, upsampling
(nearest, bilinear; by size or scale), explicit padding.
Each method checks its attributes (builder_checks) and calls self.layer(kind, attrs, inputs, name).
"""

from __future__ import annotations


class ResizeMethods:
    """Mixed into Net: uses its `layer` and `name`."""
