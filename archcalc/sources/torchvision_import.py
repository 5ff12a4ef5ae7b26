"""Import torchvision, working around a CUDA torchvision wheel beside a CPU torch.

PyPI's torchvision wheel is built against CUDA; beside the CPU build of torch its compiled ops cannot load,
and importing torchvision fails with `RuntimeError: operator torchvision::nms does not exist` (its Python
code registers fake kernels for ops whose schemas were never declared). The fix: on exactly that error,
drop the half-imported modules, declare the two schemas it registers fakes for, and import again. The
classification models then build and run; detection ops stay unavailable (archcalc does not use them).
Where the plain import works (a matching pair, a CUDA machine) this does nothing.
"""

from __future__ import annotations

import sys

_SCHEMA = "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"
_library = None  # keeps the torch.library.Library alive for the life of the process


def import_torchvision():
    """Return the torchvision module, applying the CPU-torch workaround only when it is needed."""
    try:
        import torchvision

        return torchvision
    except RuntimeError as err:
        if "torchvision::nms" not in str(err):
            raise
    global _library
    import torch

    for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
        del sys.modules[name]
    if _library is None:
        _library = torch.library.Library("torchvision", "DEF")
        for op in ("nms", "qnms"):
            _library.define(f"{op}{_SCHEMA}")
    import torchvision

    return torchvision


def models():
    """torchvision.models, imported through import_torchvision()."""
    return import_torchvision().models
