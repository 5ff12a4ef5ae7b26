"""What archcalc refuses to analyse, in one place: each limit keeps a hostile input from hanging or
exhausting memory, and each is named in the README's limitations with the error a user sees.
"""

from __future__ import annotations

MAX_LAYERS = 100_000  # layers in one network (a zoo pattern, a spec's repeats, an rf stack)
MAX_SIZE = 10**18  # any size, count or channel number given as input
MAX_DIGITS = 19  # digits of a number as text: more cannot be at most MAX_SIZE (and never reach int()'s limit)
MAX_NESTING = 100  # levels of nesting in a spec file (lists and mappings inside one another)
MAX_BLOCK_DEPTH = 50  # blocks used inside blocks, one within the other
MAX_FILE_BYTES = 10 * 10**6  # a spec or bench file larger than this is refused


def check_size(value: int, what: str) -> int:
    """`value` if it is at most MAX_SIZE; else ValueError naming `what` and the limit."""
    if value > MAX_SIZE:
        raise ValueError(f"{what} is {_short(value)}; archcalc takes sizes up to 10^18")
    return value


def _short(value: int) -> str:
    digits = len(str(value)) if value < 10**4000 else None
    return f"a number of {digits} digits" if digits else "a number of over 4000 digits"
