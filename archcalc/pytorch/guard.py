"""Running real tensors safely: refuse a run that cannot fit in memory before torch allocates anything, and
turn torch's own run-time failures into one-line errors.

The check is analytic: the inference peak (tensors alive at once, input included) and the weights, times a
margin for what the measurement keeps besides (a training step keeps what autograd saves and the
gradients). Linux over-commits memory, so an allocation far beyond the machine may succeed and the
process die later; refusing first is the only safe answer.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from ..errors import ArchcalcError, InputError

GB = 10**9


def machine_bytes(device: str) -> int:
    """Memory a run on `device` can use: the GPU's free memory, or the machine's physical memory."""
    if device == "cuda":
        import torch

        return torch.cuda.mem_get_info()[0]
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_fits(report, graph, device: str, what: str, training: bool = False,
               smaller: str = "--batch or --input") -> None:
    """InputError when the run of `report` (its batch, dtype) would not fit on `device`."""
    from ..analyses.inference_memory import inference_peak

    need = inference_peak(graph, report).peak_bytes + report.totals["param_bytes"]
    if training:  # autograd keeps every layer's output at most, and a gradient per weight
        need += report.totals["activation_bytes"] + report.totals["param_bytes"]
    have = machine_bytes(device)
    if need > have:
        raise InputError(f"{what}: the run needs about {need / GB:,.1f} GB at batch {report.batch} "
                         f"(input {report.input}); this {device} has {have / GB:,.1f} GB; use a smaller {smaller}")


@contextmanager
def torch_errors(what: str):
    """Torch's failures while running (out of memory, sizes it cannot index) as one ArchcalcError line."""
    try:
        yield
    except ArchcalcError:
        raise
    except MemoryError:
        raise InputError(f"{what}: out of memory; use a smaller --batch or --input") from None
    except (RuntimeError, OverflowError, ValueError) as err:
        first = " ".join(str(err).split()[:40]) or type(err).__name__
        raise InputError(f"{what}: torch could not run it: {first}") from None
