"""The torchvision model of a zoo entry whose `torchvision` field is set, built without weights.

Zoo names that torchvision also uses mean exactly torchvision's architecture (the zoo's naming rule); this module is how
that claim is checked. Building under the meta device allocates nothing and skips random init (vgg16:
about 10 ms instead of 2 s); `materialise` then gives real CPU tensors cheaply when a traced or real
forward pass is needed.
"""

from __future__ import annotations

import warnings

from ..errors import ArchcalcError


def _entry(entry_or_name):
    if isinstance(entry_or_name, str):
        from ..sources import zoo

        return zoo.get(entry_or_name)
    return entry_or_name


def build_torchvision(entry_or_name, device="meta"):
    """torchvision.models.<entry.torchvision>(**entry.torchvision_kwargs), no weights, in eval mode.

    device: "meta" (default: shapes and counts only, no memory), "cpu" or "cuda" (built under meta, then
    materialised there with zeroed parameters; see `materialise`).
    """
    import torch

    from ..sources.torchvision_import import models

    entry = _entry(entry_or_name)
    if not entry.torchvision:
        raise ArchcalcError(f"zoo entry '{entry.name}' has no torchvision counterpart")
    builder = getattr(models(), entry.torchvision, None)
    if builder is None:
        raise ArchcalcError(f"zoo entry '{entry.name}': torchvision.models has no '{entry.torchvision}' "
                            "(an older torchvision?)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # googlenet's "init_weights will be False" notice
        with torch.device("meta"):
            model = builder(weights=None, **entry.torchvision_kwargs)
    if str(device) != "meta":
        materialise(model, device)
    return model.eval()


def materialise(model, device="cpu"):
    """Give a meta-device model real storage on `device`: zero parameters and buffers, batch-norm statistics
    reset.

    Zeros rather than random init: the figures checked here (shapes, counts, memory) do not depend on the
    values, and torch's init of vgg16 alone takes about 2 s on a CPU. Buffers are zeroed too: an index table
    left as to_empty's uninitialised memory (Swin's relative position index) would index out of bounds.
    """
    import torch

    model.to_empty(device=device)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        for b in model.buffers():
            b.zero_()
        for m in model.modules():
            if hasattr(m, "reset_running_stats"):
                m.reset_running_stats()
    return model
