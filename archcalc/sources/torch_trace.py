"""The importer's second way to trace: torch.fx with sizes known, for a forward that branches on its sizes.

torch.fx's symbolic trace sees no sizes, so a forward that asks one a question (`if H % window:` before a
pad, timm's "same" padding `max(ceil(x / s) ...)`, `int(math.sqrt(N))`, `len(x.shape)`) stops it. Here each
proxy also carries the value its operation has on an empty tensor on the meta device (batch 1, the
input's size: no memory, no arithmetic), and a question about a size is answered from it. The graph is
the same kind of graph as before: the operations that read sizes stay in it and archcalc's own shape
rules answer them again; only each branch taken is the one for this input size. So this trace holds at
one numeric input size, and archcalc traces again for another (a symbolic input is refused: the branches
need numbers).

It is torch.fx's own tracer with two hooks: proxies carry meta values (like the way Hugging Face's
transformers trace their models), and `bool`, `len`, `int`, iteration of a size are answered. A question
about a tensor's *values* (`if x.sum() > 0:`) has no answer on the meta device and still fails, in one line.
torch.export was the other candidate; it traces to ATen operations (convolution, addmm, view), below the
modules whose names and attributes archcalc reads, and so it would need a second importer.
"""

from __future__ import annotations

_NONE = object()  # an operation whose meta value could not be computed


def _meta(value):
    """A proxy's meta value (or the value itself when it is not a proxy)."""
    import torch.fx

    if isinstance(value, torch.fx.Proxy):
        return value.node.meta.get("archcalc_meta", _NONE)
    return value


def _metas(args):
    import torch.fx

    found = []

    def swap(a):
        m = _meta(a) if isinstance(a, torch.fx.Proxy) else a
        if m is _NONE:
            found.append(a)
        return m

    out = torch.fx.node.map_aggregate(args, swap)
    return out, not found


def _evaluate(tracer, kind, target, args, kwargs):
    """The meta value of one new node: the operation run on the meta values of its arguments."""
    margs, ok_args = _metas(args)
    mkwargs, ok_kwargs = _metas(kwargs)
    if not (ok_args and ok_kwargs):
        return _NONE
    if kind == "call_function":
        return target(*margs, **mkwargs)
    if kind == "call_method":
        return getattr(margs[0], target)(*margs[1:], **mkwargs)
    if kind == "call_module":
        return tracer.root.get_submodule(target)(*margs, **mkwargs)
    if kind == "get_attr":
        value = tracer.root
        for part in target.split("."):
            value = getattr(value, part)
        return value
    return _NONE


FACTORIES = ("ones", "zeros", "empty", "full", "arange", "eye", "linspace", "rand", "randn")


class _factories_traced:
    """torch.ones(B, N) and the like with a traced size: a node (torch's own would refuse the proxy), so the
    importer sees the table the model makes (the sized trace only)."""

    def __init__(self, tracer):
        self.tracer, self.saved = tracer, {}

    def __enter__(self):
        import torch
        import torch.fx

        for name in FACTORIES:
            original = self.saved[name] = getattr(torch, name)

            def wrapped(*args, _original=original, **kwargs):
                found = []
                torch.fx.node.map_aggregate((args, kwargs), lambda a: found.append(a) if isinstance(
                    a, torch.fx.Proxy) else None)
                if not found or self.tracer.evaluating:
                    return _original(*args, **kwargs)
                return self.tracer.create_proxy("call_function", _original, args, kwargs)

            setattr(torch, name, wrapped)
        return self

    def __exit__(self, *exc):
        import torch

        for name, original in self.saved.items():
            setattr(torch, name, original)
        return False


def _proxy_class():
    """torch.fx's Proxy, answering len(), int(), float() and indexing from its meta value where that is a
    size (not a tensor's data); its attributes (`x.shape`) answer too; an item assignment is recorded."""
    import operator

    import torch
    import torch.fx

    def known(proxy):
        value = _meta(proxy)
        if value is _NONE or isinstance(value, torch.Tensor):
            raise torch.fx.proxy.TraceError(f"the value of {proxy.node.name} is a tensor's data, unknown when tracing")
        return value

    class SizedProxy(torch.fx.Proxy):
        def __len__(self):
            value = _meta(self)
            if value is _NONE or isinstance(value, torch.Tensor):
                return super().__len__()
            return len(value)

        def __int__(self):
            return int(known(self))

        def __index__(self):
            return int(known(self))

        def __float__(self):
            return float(known(self))

        def __setitem__(self, key, value):  # x[index] = v: recorded (fx alone cannot), mapped as `assign`
            self.tracer.create_proxy("call_function", operator.setitem, (self, key, value), {})

        def __getattr__(self, k):  # x.shape: an attribute that answers len() too
            return SizedAttribute(self, k)

    class SizedAttribute(torch.fx.proxy.Attribute, SizedProxy):
        pass

    return SizedProxy


def sized_tracer(dims: tuple, base):
    """A tracer (subclass of `base`, the importer's torch.fx Tracer class) whose proxies carry meta values;
    its first input is an empty (1, *dims) tensor on the meta device."""
    import torch

    SizedProxy = _proxy_class()

    class SizedTracer(base):
        def __init__(self):
            super().__init__()
            self.inputs = 0
            self.evaluating = False  # inside a meta evaluation: modules and attributes are plain again
            self.proxy_buffer_attributes = True  # a buffer read is a node, so `buf.expand(B, ...)` traces

        def call_module(self, m, forward, args, kwargs):
            if self.evaluating:
                return forward(*args, **kwargs)
            return super().call_module(m, forward, args, kwargs)

        def getattr(self, attr, attr_val, parameter_proxy_cache):
            if self.evaluating:
                return attr_val
            return super().getattr(attr, attr_val, parameter_proxy_cache)

        def proxy(self, node):
            return SizedProxy(node, self)

        def trace(self, root, concrete_args=None):
            with _factories_traced(self):
                return super().trace(root, concrete_args)

        def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, proxy_factory_fn=None):
            proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr, proxy_factory_fn)
            if kind == "placeholder":
                self.inputs += 1
                value = torch.empty((1, *dims), device="meta") if self.inputs == 1 else _NONE
            else:
                self.evaluating = True
                try:
                    value = _evaluate(self, kind, target, args, kwargs)
                except Exception:  # the model's own operation fails on meta: its value is unknown, not guessed
                    value = _NONE
                finally:
                    self.evaluating = False
            proxy.node.meta["archcalc_meta"] = value
            return proxy

        def to_bool(self, obj):
            value = _meta(obj)
            if value is _NONE or isinstance(value, torch.Tensor):
                return super().to_bool(obj)  # a branch on a tensor's values: fx's own TraceError
            return bool(value)

        def iter(self, obj):
            value = _meta(obj)
            if value is _NONE or isinstance(value, torch.Tensor):
                return super().iter(obj)
            return iter([obj[i] for i in range(len(value))])

    return SizedTracer()
