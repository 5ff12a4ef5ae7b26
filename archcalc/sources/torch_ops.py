"""The importer's table: torch modules, functions and tensor methods, each mapped to IR kinds.

A handler reads the module's attributes (never a forward pass) and makes layers with the builder's own
methods (sources/builder*.py), so attributes are checked and normalised as for a spec file. Sizes a model
reads from its tensors are Python values here (ints, sympy expressions, BATCH for the batch axis).
Anything not in the table raises UnsupportedOp with a name the user can look up.
"""

from __future__ import annotations

import operator

from .torch_values import BATCH, Param, Tensor, UnsupportedOp, _Poison
from .torch_modules import MODULES, is_leaf
from .torch_functions import FUNCTIONS, METHODS, function_key


_MISSING = object()


class Poisoned(Exception):
    """A node reads a value that could not be mapped: not counted again."""


def Tracer(dims=None):
    """A torch.fx Tracer that keeps torch's modules whole and the attention modules archcalc knows; with
    `dims` (an input size), the one that knows sizes (sources/torch_trace.py)."""
    import torch.fx

    class _Tracer(torch.fx.Tracer):
        def is_leaf_module(self, m, qualname):
            return is_leaf(m) or super().is_leaf_module(m, qualname)

        def trace(self, root, *args, **kwargs):
            kept = _attributes(root)
            try:
                return super().trace(root, *args, **kwargs)
            finally:  # a cache the forward filled with this trace's values (EfficientFormer's biases)
                from .torch_params import forget_proxies

                forget_proxies(root)
                _restore(kept)

    if dims is None:
        return _Tracer()
    from .torch_trace import sized_tracer

    return sized_tracer(tuple(dims), _Tracer)


def _attributes(root) -> list:
    """Each module's own attributes before a trace: a forward that stores what it computes on the module
    (ConViT's `self.rel_indices = ...`) would otherwise leave the trace's values in the user's model."""
    return [(m, dict(vars(m))) for m in root.modules()] if hasattr(root, "modules") else []


def _restore(kept: list) -> None:
    """Put back the attributes a trace set or replaced (the model is left as it was given)."""
    for module, attributes in kept:  # fx's own constants (_tensor_constant0, ...) stay: the graph reads them
        for name in [n for n in vars(module) if n not in attributes and not n.startswith("_tensor_constant")]:
            delattr(module, name)
        vars(module).update(attributes)


def _resolve(value, values):
    """fx arguments with their nodes replaced by the values computed for them."""
    import torch.fx

    if isinstance(value, torch.fx.Node):
        found = values[value.name]
        if isinstance(found, _Poison):
            raise Poisoned(found.what)
        return found
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(v, values) for v in value)
    if isinstance(value, dict):
        return {k: _resolve(v, values) for k, v in value.items()}
    if isinstance(value, slice):  # x[..., :h, :w] with sizes read from a tensor
        return slice(_resolve(value.start, values), _resolve(value.stop, values), _resolve(value.step, values))
    return value


def map_node(imp, node, values):
    """The value of one fx node: a Tensor (a new layer, or an existing one), a Param, or a Python value."""
    args = _resolve(node.args, values)
    kwargs = _resolve(node.kwargs, values)
    if node.op == "get_attr":
        return _get_attr(imp, node.target)
    if node.op == "call_module":
        module = imp.module.get_submodule(node.target)
        handler = MODULES.get(type(module).__name__)
        if handler is None or not (is_leaf(module) or type(module).__module__.startswith("torch.nn")):
            raise UnsupportedOp(f"module {type(module).__module__}.{type(module).__name__}")
        name = imp.module_name(node.target)
        result = handler(imp, module, args, kwargs, name)
        if not isinstance(result, Param):  # a module on parameters: counted by the layer its result meets
            imp.count_params(node.target, name)
        return result
    if node.op == "call_function":
        key = function_key(node.target)
        handler = FUNCTIONS.get(key)
        if handler is None:
            raise UnsupportedOp(f"function {key}")
        return handler(imp, args, kwargs)
    if node.op == "call_method":
        handler = METHODS.get(node.target)
        if handler is None:
            raise UnsupportedOp(f"tensor method .{node.target}()")
        return handler(imp, args, kwargs)
    raise UnsupportedOp(f"fx node kind {node.op}")


def unknown(imp, node):
    """What the table does not know about this node (its name for the error), or None when it knows it."""
    if node.op == "call_module":
        module = imp.module.get_submodule(node.target)
        known = type(module).__name__ in MODULES and (is_leaf(module) or type(module).__module__.startswith("torch.nn"))
        return None if known else f"module {type(module).__module__}.{type(module).__name__}"
    if node.op == "call_function":
        key = function_key(node.target)
        return None if key in FUNCTIONS else f"function {key}"
    if node.op == "call_method":
        return None if node.target in METHODS else f"tensor method .{node.target}()"
    return None


def _get_attr(imp, target: str):
    import torch

    value = imp.module
    for part in target.split("."):
        value = getattr(value, part, _MISSING)
        if value is _MISSING or value is None:  # set on the module by the forward itself, while it was traced
            raise UnsupportedOp("a tensor the forward stores on the module while it runs")
    frozen = isinstance(value, torch.Tensor) and target.startswith("_tensor_constant")
    if frozen and value.dtype in (torch.int64, torch.int32):  # an index buffer fx froze while tracing (BEiT's
        # relative_position_index.view(-1)): an index, read as that buffer
        return Param(target, tuple(value.shape), value.numel(), False, True)
    if isinstance(value, torch.Tensor) and target.startswith("_tensor_constant"):
        from .torch_constants import Constant  # a tensor fx computed while tracing: no parameter, no buffer

        return Constant(tuple(value.shape), str(value.dtype).replace("torch.", ""))
    if isinstance(value, torch.Tensor):
        is_param = isinstance(value, torch.nn.Parameter)
        return Param(target, tuple(value.shape), value.numel(), bool(is_param and value.requires_grad), not is_param)
    return value


__all__ = ["Tracer", "map_node", "Poisoned", "BATCH", "Param", "Tensor", "operator"]
