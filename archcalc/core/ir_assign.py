"""Attribute type of `assign` (re-exported by core/ir.py): a write into part of a tensor, in place."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import GraphError


@dataclass(frozen=True)
class Assign:
    """`x[index] = v`: the region of x that `index` picks is overwritten by v (broadcast to it), in place; the
    result is x, of x's shape. `index` has one entry per leading sample axis (the batch apart): (start, stop)
    for a slice of step 1 (stop None: to the end), or an int for one position (the axis is not in the region).
    Axes past the entries are whole. MViT-v2 adds its relative-position terms to part of its attention logits
    this way (`attn[:, :, 1:, 1:] = ... + rel_h + rel_w`)."""

    index: tuple

    def __post_init__(self):
        entries = []
        for entry in self.index:
            if isinstance(entry, int) and not isinstance(entry, bool):
                entries.append(entry)
            elif isinstance(entry, (tuple, list)) and len(entry) == 2 and all(
                    v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in entry):
                entries.append(tuple(entry))
            else:
                raise GraphError(f"assign: each index entry is an int or (start, stop) of ints, got {entry!r}")
        object.__setattr__(self, "index", tuple(entries))
