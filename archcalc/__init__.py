"""archcalc: what a convolutional network costs, computed analytically, layer by layer.

    >>> import archcalc
    >>> report = archcalc.analyze("vgg16", input=(3, 224, 224))
    >>> report.totals["params"]
    138357544

The package reads as its pipeline: sources/ (zoo, spec files, the builder) -> core/ (IR, shapes, rule
table, engine, report) -> analyses/ -> output/; cli/ is the command line, pytorch/ the only part that
imports torch.
"""

from __future__ import annotations

from .core.ir import Graph
from .core.report import LayerStats, Report
from .errors import ArchcalcError
from .sources import SPEC_SUFFIXES, analyze, load_spec, resolve, zoo_names
from .sources.builder import Net

__all__ = ["analyze", "resolve", "load_spec", "memory", "Net", "Graph", "Report", "LayerStats", "ArchcalcError",
           "zoo_names", "SPEC_SUFFIXES"]


def memory(model, input=None, batch: int = 1, dtype: str = "float32", amp: bool = False,
           optimizer: str = "sgd-momentum", device: str = "cuda"):
    """The memory of inference and of a training step of `model` (a zoo name, spec file, Net, Graph or PyTorch
    source) term by term: an analyses.step_memory.MemoryPlan (`archcalc memory`)."""
    from .analyses.step_memory import Setting, memory_plan

    return memory_plan(resolve(model, input), input, batch, Setting(dtype, amp, optimizer, device))
__version__ = "0.1.0"
