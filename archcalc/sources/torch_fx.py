"""The PyTorch importer: an nn.Module traced with torch.fx into archcalc's IR, at one input size.

The trace (torch.fx.symbolic_trace, torch's leaf modules kept whole) gives the model's operations in order,
without running it. Each is mapped to an IR kind with its attributes read from the module (sources/
torch_ops.py). Sizes the model reads from its tensors (`x.shape`, `x.size(1)`, `x.flatten(1)`) are answered
by archcalc's own shape rules as the graph grows, so an input of `3xHxW` gives formulas, and the batch axis
stays apart (a `view(x.size(0), -1)` keeps it).

Layer names are the module's own dotted names (`layer1.0.conv1`); an operation inside a module that is not a
leaf (an add in a residual block) is named after that module and the operation (`layer1.0.add`); a module
called a second time gets `@2`. A module called twice costs its MACs twice and its parameters once
(Graph.extras["shared"]). The parameter total must equal the module's `parameters()`: a difference is an
error naming the parameters the trace did not reach. Operations the importer does not know fail loudly, one
line per distinct operation with the first node that uses it and how often it occurs.
"""

from __future__ import annotations

import re

from ..core.ir import INPUT, Graph, Layer
from ..core.shape import Shape, is_symbolic
from ..errors import ArchcalcError, GraphError, InputError, UnsupportedOperations
from .builder import Net
from .torch_importing import ImportingMethods
from .torch_values import Tensor, UnsupportedOp, _Poison, layer_shape, unique_name


class Importer(ImportingMethods):
    """Walks a traced module's graph, building the IR layer by layer (see the module's docstring)."""

    def __init__(self, module, name: str, x: Shape):
        self.module, self.name, self.x = module, name, x
        self.layers: list = []
        self.shapes: dict = {INPUT: x}
        self.used_names: set = {INPUT}
        self.calls: dict = {}  # module path -> times called
        self.shared: dict = {}  # layer name -> the layer whose parameters it reuses
        self.params_seen: set = set()  # qualified names of parameters (and buffers) counted by some layer
        self.node = None  # the fx node being mapped (for names)
        self.notes: list = []  # said under the table (a trace at one size)
        self.net = Net(name)  # makes each layer's attributes, checked as for a spec file
        self.ops_in: dict = {}  # module path -> operations traced inside it (call_function, call_method)

    # --- the IR as it grows ------------------------------------------------------------------------------
    def build(self, method: str, inputs, name, **fields) -> Tensor:
        """A layer made by the builder's `method` (its checks, its normalisation), then shaped."""
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        for value in inputs:
            if not isinstance(value, Tensor):
                raise UnsupportedOp(f"{method} of a {type(value).__name__}")
        name = self.unique(name or self.default_name())
        names = [v.layer for v in inputs]
        joins = method in ("concat", "add", "mul", "matmul", "mean")
        try:
            getattr(self.net, method)(names if joins else names[0], name=name, **fields)
        except ArchcalcError as err:
            raise GraphError(str(err)) from None
        return self._shaped(self.net.layers.pop(), inputs)

    def build_act(self, kind: str, x: Tensor, name, inplace: bool = False) -> Tensor:
        name = self.unique(name or self.default_name())
        self.net.act(kind, x.layer, inplace=inplace and x.layer != INPUT, name=name)
        return self._shaped(self.net.layers.pop(), [x])

    def add_layer(self, kind: str, attrs, inputs, name=None) -> Tensor:
        """A layer from its attributes directly (a reshape to symbolic sizes, which the builder refuses)."""
        name = self.unique(name or self.default_name())
        return self._shaped(Layer(name, kind, attrs, tuple(v.layer for v in inputs)), inputs)

    def _shaped(self, layer: Layer, inputs) -> Tensor:
        shape = layer_shape(self.name, layer, tuple(v.shape for v in inputs), len(self.layers))
        self.layers.append(layer)
        self.shapes[layer.name] = shape
        return Tensor(layer.name, shape)

    def unique(self, name: str) -> str:
        return unique_name(self.used_names, name)

    def default_name(self) -> str:
        """The innermost module holding the node and the operation (`layer1.0.add`); the module's own name
        where that module does nothing else (timm's LayerNorm subclass: one F.layer_norm)."""
        owner = owner_of(self.node)
        if owner and self.ops_in.get(owner) == 1 and owner not in self.used_names:
            return owner
        op = re.sub(r"_\d+$", "", self.node.name)
        return f"{owner}.{op}" if owner else op

    def module_name(self, path: str) -> str:
        """The layer name of a call of the module at `path`: the path, or path@k for its k-th call."""
        k = self.calls[path] = self.calls.get(path, 0) + 1
        return path if k == 1 else f"{path}@{k}"

    def count_params(self, path: str, layer: str) -> None:
        """Mark the module's own parameters and buffers as counted; a second call shares the first's."""
        if self.calls.get(path, 0) > 1:
            self.shared[layer] = path
            return
        module = self.module.get_submodule(path)
        for pname, _ in list(module.named_parameters()) + list(module.named_buffers()):
            self.params_seen.add(f"{path}.{pname}" if path else pname)


def owner_of(node) -> str:
    """The dotted path of the innermost module a traced node was made in ('' at the top)."""
    stack = node.meta.get("nn_module_stack") or {}
    owner = list(stack)[-1] if stack else ""
    return owner if isinstance(owner, str) and not owner.startswith("L[") else _owner_path(stack)


def _owner_path(stack: dict) -> str:
    """The innermost module's dotted path from an nn_module_stack entry's value (path, type)."""
    if not stack:
        return ""
    value = list(stack.values())[-1]
    return value[0] if isinstance(value, tuple) else str(value)


def trace(module, name: str, x: Shape):
    """(torch.fx's graph of the module, None, how) or (None, the one-line reason it cannot be traced, "").
    `how` is "" for fx's own trace, which holds at any size, or a note when the forward branches on sizes
    and was traced at this input's size (sources/torch_trace.py)."""
    from .torch_ops import Tracer

    try:
        return Tracer().trace(module), None, ""
    except Exception as err:  # fx's own errors (TraceError, a data-dependent branch: any exception type)
        first = err
    where = _where(first) or f"{type(first).__name__}: {' '.join(str(first).split())[:80]}"
    if any(is_symbolic(d) for d in x.dims):
        return None, (f"{name}: torch.fx alone stops at {where} (a branch on the input's size, or a write into part "
                      "of a tensor), so archcalc traces it with sizes known, at numeric sizes only: give --input as "
                      "numbers, e.g. 3x224x224"), ""
    try:
        graph = Tracer(x.dims).trace(module, concrete_args=_defaults(module))
    except Exception as err:
        return None, (f"{name}: torch.fx cannot trace the model ({_why(err)}); archcalc reads models whose forward "
                      "torch.fx can follow (no branch on a tensor's values)"), ""
    return graph, None, (f"traced at {x} with sizes known (torch.fx alone stops at {where}): the figures hold at "
                         "this size, and archcalc traces again at another")


def _defaults(module) -> dict:
    """The forward's later arguments at their defaults (a mask of None), fixed for the sized trace so that
    `if mask is None:` is answered too."""
    import inspect

    params = list(inspect.signature(module.forward).parameters.values())[1:]
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def _why(err: Exception) -> str:
    """The exception in a few words, with the model's own line that raised it where there is one."""
    where = _where(err)
    return f"{type(err).__name__}: {' '.join(str(err).split())[:160]}" + (f" at {where}" if where else "")


def _where(err: Exception) -> str:
    """The model's own line (folder/file.py:line) that raised `err`: the last frame outside torch and archcalc."""
    import os
    import traceback

    import torch

    skip = (os.path.dirname(torch.__file__) + os.sep, os.path.dirname(os.path.dirname(__file__)) + os.sep)
    frames = [f for f in traceback.extract_tb(err.__traceback__) if not f.filename.startswith(skip)
              and not f.filename.startswith("<")]
    return f"{'/'.join(frames[-1].filename.split('/')[-2:])}:{frames[-1].lineno}" if frames else ""


def import_module(module, name: str, input, source: str = "") -> Graph:
    """The Graph of `module` at `input` (a Shape, a tuple or 'CxHxW'); every error one line (or one per op)."""
    from ..core.shape import shape_from_tuple
    from .torch_ops import Poisoned, map_node, unknown

    x = input if isinstance(input, Shape) else shape_from_tuple(input)
    graph, problem, how = trace(module, name, x)
    if problem:
        raise InputError(problem)
    importer = Importer(module, name, x)
    importer.notes += [how] if how else []
    for node in graph.nodes:  # operations per innermost module, for names
        if node.op in ("call_function", "call_method"):
            owner = owner_of(node)
            importer.ops_in[owner] = importer.ops_in.get(owner, 0) + 1
    values: dict = {}
    unsupported: dict = {}  # what -> [first node, count]
    output = None
    for node in graph.nodes:
        importer.node = node
        if node.op == "placeholder":
            if values and not node.args:
                raise InputError(f"{name}: forward takes more than one input ({node.name}); archcalc feeds one tensor")
            values[node.name] = node.args[0] if values else Tensor(INPUT, x)  # later ones: their defaults
            continue
        if node.op == "output":
            output = node
            break
        try:
            values[node.name] = map_node(importer, node, values)
            if _writes_into(node):  # x[index] = v: later uses of x read the written tensor
                values[node.args[0].name] = values[node.name]
        except Poisoned as err:  # it reads an unmapped value; if it is unknown itself, it is counted too
            what = unknown(importer, node)
            if what:
                entry = unsupported.setdefault(what, [node.name, 0])
                entry[1] += 1
            values[node.name] = _Poison(what or str(err))
        except UnsupportedOp as err:
            entry = unsupported.setdefault(err.what, [node.name, 0])
            entry[1] += 1
            values[node.name] = _Poison(err.what)
    if unsupported:
        lines = [f"{name}: unsupported operation {what}, first at node '{first}' ({count} time{'s' * (count > 1)})"
                 for what, (first, count) in unsupported.items()]
        raise UnsupportedOperations(lines)
    return _finish(importer, module, name, source, x, values, output)


def _writes_into(node) -> bool:
    """An item assignment into a traced tensor (operator.setitem on a node): it changes that node's value."""
    import operator

    import torch.fx

    return node.target is operator.setitem and isinstance(node.args[0], torch.fx.Node)


def _finish(importer: Importer, module, name, source, x, values, output) -> Graph:
    """Pick the output, check the parameters add up, and make the Graph."""
    out = output.args[0] if output is not None else None
    out = out[0] if isinstance(out, (tuple, list)) and out else out
    if isinstance(out, dict):
        out = next(iter(out.values()), None)
    result = values.get(getattr(out, "name", None))
    if not isinstance(result, Tensor) or not importer.layers:
        raise GraphError(f"{name}: the model's output is not a tensor archcalc could follow")
    layers = list(importer.layers)
    if result.layer != layers[-1].name:  # the output is an earlier layer: end the graph there
        layers.append(Layer(importer.unique("output"), "identity", _identity(), (result.layer,)))
    unused, note = _unused(importer, module)
    extras = {"shared": dict(importer.shared), "torch_params": {**_param_table(module), "unused": unused}}
    if extras["torch_params"]["frozen"]:  # which layers autograd records no weight gradient for
        extras["torch_params"]["frozen_layers"] = _frozen_layers(module, layers)
    notes = tuple(importer.notes) + ((note,) if note else ())
    param_macs = getattr(importer, "param_macs", {})  # an MLP on parameters alone (torch_param_modules)
    if param_macs:
        from .torch_param_modules import note as param_macs_note

        extras["torch_params"]["param_macs"] = sum(param_macs.values())
        notes += (param_macs_note(param_macs),)
    if getattr(importer, "param_saved", 0):  # what backward keeps of such an MLP (torch_param_saved)
        extras["torch_params"]["param_saved"] = importer.param_saved
    graph = Graph(name, tuple(layers), tuple(x.dims), source or name, notes, extras, False,
                  "" if x.channels_first else x.roles)
    _reconcile(graph, module, name, x)
    return graph


def _identity():
    from ..core.ir import Identity

    return Identity()


def _param_table(module) -> dict:
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    tensors = sum(1 for p in module.parameters() if p.requires_grad)  # Adam keeps a step counter for each
    return {"trainable": trainable, "frozen": frozen, "tensors": tensors}


def _frozen_layers(module, layers) -> tuple:
    """Layers made by a call of a module whose parameters are all frozen (requires_grad False): a frozen
    stem's convs and norms. Layers of functional operations on parameters are taken as trainable."""
    frozen = []
    for layer in layers:
        try:
            sub = module.get_submodule(layer.name.split("@")[0])
        except AttributeError:  # an operation, not a module's call
            continue
        params = list(sub.parameters())
        if params and not any(p.requires_grad for p in params):
            frozen.append(layer.name)
    return tuple(frozen)


def _unused(importer: Importer, module) -> tuple:
    """(elements, note): parameters of modules the traced forward never reaches (GoogLeNet's auxiliary
    heads at inference). Every operation the trace does reach either counts its parameters or is refused,
    so what is left is unused; it is counted in the total and named, in no layer."""
    missing = [(p, t.numel()) for p, t in module.named_parameters() if p not in importer.params_seen]
    if not missing:
        return 0, None
    owners = sorted({p.split(".")[0] if "." in p else p for p, _ in missing})
    total = sum(n for _, n in missing)
    shown = ", ".join(owners[:4]) + (f" and {len(owners) - 4} more" if len(owners) > 4 else "")
    return total, (f"{total:,} parameters in modules the forward pass does not use at inference ({shown}): "
                   "counted in the total, in no layer")


def _reconcile(graph: Graph, module, name: str, x: Shape) -> None:
    """The layers' parameters and the unused ones must add up to `module.parameters()` (shared ones once):
    a difference is an error, never a footnote."""
    from ..core.engine import propagate

    counted = propagate(graph, x).totals["params"]
    actual = sum(p.numel() for p in module.parameters())
    if counted != actual:
        raise GraphError(f"{name}: the layers hold {counted:,} parameters, module.parameters() {actual:,}: the import "
                         "maps some operation's weights differently from torch (please report it)")


