"""archcalc's own spec-to-torch builder: a torch.nn.Module from any archcalc Graph.

Every layer's torch module is made from the layer's attributes alone; its input sizes (conv in_channels,
linear in_features, 1-D or 2-D batch norm) come from the tensors torch itself produces in a dry run on the
meta device, never from the engine's shape rules, so that comparing the built module with the engine is a
real check. Parameters are then materialised on the requested device (`to_empty`) and initialised.

The module's children mirror the dotted layer names (`features.0`, `layer1.0.conv1`), so its parameter
names are torchvision's where the zoo entry uses torchvision's names. `layer_modules` maps every archcalc
layer name to the module that computes it (merges and flatten included), for forward hooks.

torch is imported at module level here: this module exists only to make torch modules. No module of archcalc
imports it at module level: its users (verify, bench, the empirical field) import it inside the functions
that need torch.

Every layer kind of the rule registry (core/rules/) has a maker in makers/; a test checks that none is missing.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from ..errors import ArchcalcError, GraphError, InputError
from ..core.ir import INPUT, Graph
from .makers import buildable_kinds, maker_of

class BuiltNet(nn.Module):
    """A torch module that runs an archcalc graph in its order, freeing each tensor after its last use.

    Attributes: `layer_modules` (archcalc layer name -> module), `module_names` (archcalc layer name ->
    the module's qualified name in `named_modules()`, equal to the layer name unless torch forbade it),
    `graph` (the Graph it was built from), `input_shape` (C, H, W of the dry run), `sinks` (layers no other
    layer reads, e.g. GoogLeNet's auxiliary heads) and `return_sinks`: when True, forward returns the tuple
    of every sink's output, so that a tracer (fvcore) sees no layer as dead code.
    """

    def __init__(self, graph: Graph, input_shape: tuple):
        super().__init__()
        self.graph = graph
        self.input_shape = tuple(input_shape)
        self.layer_modules: dict = {}
        self.module_names: dict = {}
        self._plan: list = []  # (layer name, module, input names, names whose last use this is)
        read = {src for layer in graph.layers for src in layer.inputs}
        self.sinks = tuple(layer.name for layer in graph.layers if layer.name not in read)
        self.return_sinks = False

    def forward(self, x):
        values = {INPUT: x}
        out = x
        for name, module, inputs, done in self._plan:
            out = module(*(values[i] for i in inputs))
            values[name] = out
            for d in done:  # drop references after the last consumer, as a hand-written forward would
                del values[d]
        if self.return_sinks:
            return tuple(values[name] for name in self.sinks)
        return out


def _child_name(parent: nn.Module, wanted: str) -> str:
    """`wanted`, or `wanted_` (repeated) where torch forbids it (an attribute of nn.Module, a taken name)."""
    name = wanted or "_"
    while name in parent._modules or hasattr(parent, name):
        name += "_"
    return name


def _place(root: BuiltNet, containers: dict, layer_name: str, module: nn.Module) -> str:
    """Attach `module` under containers that mirror the dotted name; returns its qualified torch name."""
    parts = layer_name.split(".")
    parent, path, qualified = root, "", []
    for part in parts[:-1]:
        path = f"{path}.{part}" if path else part
        if path not in containers:
            child = _child_name(parent, part)
            container = nn.Module()
            parent.add_module(child, container)
            containers[path] = (container, child)
        parent, child = containers[path]
        qualified.append(child)
    child = _child_name(parent, parts[-1])
    parent.add_module(child, module)
    qualified.append(child)
    return ".".join(qualified)


def _input_shape(graph: Graph, input) -> tuple:
    shape = graph.default_input if input is None else input
    if shape is None:
        raise InputError(f"{graph.name}: no input size given and the model has no default")
    if isinstance(shape, str):
        from ..core.shape import parse_input

        shape = tuple(parse_input(shape).as_list())
    shape = tuple(shape)
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in shape):
        raise InputError(f"{graph.name}: input {shape}: a torch module needs positive integer sizes")
    return shape


def build_module(graph: Graph, device="cpu", dtype=None, *, input=None, init: bool = True) -> nn.Module:
    """A torch module computing `graph`; `forward(x)` returns the output of the graph's last layer.

    device: where the parameters live ("meta" builds nothing in memory); dtype: a torch dtype (default
    float32); input: (C, H, W) for the dry run that sizes the layers (the graph's default when None);
    init: True runs each module's own `reset_parameters` (torch's default init); False fills parameters
    with zeros (fast, for counting and memory measurement only).
    Raises GraphError naming the layer when torch cannot build or apply it.
    """
    shape = _input_shape(graph, input)
    dtype = dtype or torch.float32
    root = BuiltNet(graph, shape)
    containers: dict = {}
    last_use = {INPUT: -1}
    for i, layer in enumerate(graph.layers):
        for src in layer.inputs:
            last_use[src] = i
    values = {INPUT: torch.empty((1, *shape), device="meta", dtype=dtype)}
    roles = _roles(graph, shape)
    for i, layer in enumerate(graph.layers):
        maker = maker_of(layer.kind)
        if maker is None:
            raise GraphError(f"{graph.name}: layer '{layer.name}': kind '{layer.kind}' has no torch builder "
                             f"(known: {', '.join(buildable_kinds())})")
        xs = [values[src] for src in layer.inputs]
        shared = (graph.extras.get("shared") or {}).get(layer.name)  # a module called again: the same module
        try:
            with torch.device("meta"):
                module = root.layer_modules[shared] if shared in root.layer_modules else \
                    maker(layer.attrs, xs, roles.get(layer.name, ())).to(dtype=dtype)
            # eval mode: sizing needs no batch statistics, and torch refuses a training-mode batch norm on
            # one value per channel (batch 1 on a 1x1 map), which the dry run's batch of 1 would meet
            values[layer.name] = module.eval()(*xs)
            module.train()
        except ArchcalcError as err:
            raise GraphError(f"{graph.name}: layer '{layer.name}' ({layer.kind}): {err}") from None
        except (RuntimeError, ValueError, TypeError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise GraphError(f"{graph.name}: layer '{layer.name}' ({layer.kind}), input "
                             f"{', '.join(str(tuple(x.shape[1:])) for x in xs)}: torch says: {first}") from None
        root.module_names[layer.name] = _place(root, containers, layer.name, module)
        root.layer_modules[layer.name] = module
        done = tuple(src for src in dict.fromkeys(layer.inputs) if last_use[src] == i and src != INPUT)
        root._plan.append((layer.name, module, layer.inputs, done))
        for src in done:
            del values[src]
    if str(device) != "meta":
        root.to_empty(device=device)
        _initialise(root, init)
    return root.eval()


def _roles(graph: Graph, shape: tuple) -> dict:
    """Layer name -> its inputs' axis roles, from the engine: which axis holds the channels is a fact of the
    layout (tokens x channels, channels last), not of the sizes, which torch gives. A graph the engine refuses
    reads as channels-first (torch then says what is wrong with it)."""
    from ..core.engine import propagate

    try:
        report = propagate(graph, input=shape)
    except ArchcalcError:
        return {}
    return {s.name: tuple(x.roles for x in s.in_shapes) for s in report.layers}


def _initialise(root: nn.Module, init: bool) -> None:
    """torch's default init per module, or zeros; batch-norm statistics always reset (mean 0, var 1)."""
    with torch.no_grad():
        for module in root.modules():
            if init and hasattr(module, "reset_parameters"):
                module.reset_parameters()
            elif not init:
                for p in module.parameters(recurse=False):
                    p.zero_()
                if hasattr(module, "reset_running_stats"):
                    module.reset_running_stats()


def torch_dtype(name: Optional[str]):
    """torch dtype of an archcalc dtype name (float32, float16, bfloat16, float64)."""
    if name is None:
        return torch.float32
    try:
        return getattr(torch, name)
    except AttributeError:
        raise InputError(f"dtype '{name}' is not a torch dtype") from None
