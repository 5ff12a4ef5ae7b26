"""Builder methods of one family of kinds, mixed into Net (sources/builder.py).

Channel plumbing: `slice` (a contiguous range of channels, a view; `split` makes several side by side, as
torch.split/chunk along channels) and ShuffleNet's `channel_shuffle`.
Each method checks its attributes (builder_checks) and calls self.layer(kind, attrs, inputs, name).
"""

from __future__ import annotations

from ..core import ir
from ..errors import GraphError
from .builder_checks import check_non_negative, check_positive
from .builder_layout import sample_axis


class PlumbingMethods:
    """Mixed into Net: uses its `layer` and `name`."""

    def slice(self, x, start: int, stop: int, dim=None, name=None) -> str:
        """Channels [start, stop) of x, step 1 (`x[:, start:stop]`), or positions along torch's `dim`: a view."""
        check_non_negative(self.name, name, start=(start,))
        check_positive(self.name, name, stop=(stop,))
        if start >= stop:
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: slice [{start}:{stop}] is empty; "
                             "start must be below stop")
        axis = None if dim is None else sample_axis(self.name, name, dim)
        return self.layer("slice", ir.Slice(start, stop, axis), x, name)

    # Its input is not named `x` on purpose: spec files offer each builder method whose input is `x` or `xs`
    # as a kind (sources/specs/kinds.py), and split makes several layers and returns a list, not one node.
    def split(self, source, sizes, dim=None, name=None) -> list:
        """Consecutive slices of `sizes` channels each, from channel 0 (torch.split along channels; equal
        sizes are torch.chunk). Named name.0, name.1, ... when named, else slice1, slice2, ..."""
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__") or not list(sizes):
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: split sizes must be a non-empty list "
                             f"of channel counts, got {sizes!r}")
        sizes = list(sizes)
        check_positive(self.name, name, sizes=sizes)
        parts, start = [], 0
        for i, size in enumerate(sizes):
            parts.append(self.slice(source, start, start + size, dim=dim,
                                    name=None if name is None else f"{name}.{i}"))
            start += size
        return parts

    def channel_shuffle(self, x, groups: int, name=None) -> str:
        """ShuffleNet's channel shuffle (nn.ChannelShuffle): channels as a groups x (C/groups) grid,
        transposed; the channels must divide by groups."""
        check_positive(self.name, name, groups=(groups,))
        return self.layer("channel_shuffle", ir.ChannelShuffle(groups), x, name)
