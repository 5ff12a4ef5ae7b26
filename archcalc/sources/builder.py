"""The public builder: describe a network in Python, one call per layer, and get a Graph.

    net = Net("tiny", input=(3, 32, 32))
    x = net.conv(net.input, 16, 3, padding=1)
    x = net.relu(x)
    graph = net.graph()

Each call takes its input node(s) and returns the new node's name. `with net.scope("block1"):` prefixes
the names made inside it ("block1.conv1"), which is how reports fold blocks.
"""

from __future__ import annotations

from contextlib import contextmanager

from ..core import ir
from ..core.ir import INPUT, Graph, Layer, per_axis
from ..errors import GraphError
from ..limits import MAX_LAYERS
from .builder_checks import axes_of, check_non_negative, check_positive, check_printable
from .builder_elementwise import ElementwiseMethods
from .builder_layout import LayoutMethods, sample_axis
from .builder_norm import NormMethods
from .builder_plumbing import PlumbingMethods
from .builder_reduce import ReduceMethods
from .builder_resize import ResizeMethods


class Net(ElementwiseMethods, NormMethods, PlumbingMethods, ResizeMethods, LayoutMethods, ReduceMethods):
    """Collects layers in order; node names are dotted paths.

    The lecture's layers are methods here; the later kinds come from one mixin per family
    (builder_elementwise, builder_norm, builder_resize, builder_plumbing, builder_layout), each method checking its attributes as it makes one.
    """

    def __init__(self, name: str, input=None, source: str = "", notes=(), channels_last: bool = False):
        """channels_last: the input is laid out with its channels last (tokens x channels: 197x192)."""
        check_printable("model name", name)
        self.name = name
        self.default_input = tuple(input) if input is not None else None
        self.channels_last = bool(channels_last)
        self.source = source
        self.notes = list(notes)
        self.extras: dict = {}  # family metadata carried to Graph.extras (e.g. survival probabilities)
        self.channels_free = False  # True: the first layers follow the input's channels (spec files)
        self.layers: list = []
        self._names: set = {INPUT}
        self._scope: list = []
        self._counts: dict = {}
        self.input = INPUT

    @contextmanager
    def scope(self, name: str):
        """Prefix the names of the layers made inside with `name.`."""
        self._scope.append(str(name))
        try:
            yield
        finally:
            self._scope.pop()

    def _name(self, name, kind: str) -> str:
        if name is None:  # an automatic name skips the numbers a layer was explicitly given already
            while True:
                n = self._counts[kind] = self._counts.get(kind, 0) + 1
                full = ".".join([*self._scope, f"{kind}{n}"])
                if full not in self._names:
                    self._names.add(full)
                    return full
        full = ".".join([*self._scope, str(name)])
        check_printable(f"{self.name}: layer name", full)
        if full in self._names:
            raise GraphError(f"{self.name}: layer name '{full}' is used twice")
        self._names.add(full)
        return full

    def layer(self, kind: str, attrs, inputs, name=None) -> str:
        """Append a layer of any registered kind; returns its name."""
        inputs = (inputs,) if isinstance(inputs, str) else tuple(inputs)
        if len(self.layers) >= MAX_LAYERS:
            raise GraphError(f"{self.name}: more than {MAX_LAYERS:,} layers; archcalc analyses networks of up to "
                             f"{MAX_LAYERS:,} layers")
        full = self._name(name, kind)
        self.layers.append(Layer(full, kind, attrs, inputs))
        return full

    # --- layers -------------------------------------------------------------------------------------
    def conv(self, x, out_channels: int, kernel, stride=1, padding=0, dilation=1, groups: int = 1,
             bias: bool = True, dims=None, name=None, standardised: bool = False, gain: bool = False) -> str:
        """A convolution over 1, 2 or 3 spatial axes: `dims`, else the length of a per-axis list, else 2.

        padding="same" (stride 1 only, as torch) keeps every size: d*(k - 1) in all per axis, the odd one
        on the right/bottom as torch pads it.
        """
        same = padding == "same"
        axes = axes_of(self.name, name, dims, kernel, stride, 0 if same else padding, dilation)
        kernel, stride, dilation = (per_axis(kernel, axes, "kernel"), per_axis(stride, axes, "stride"),
                                    per_axis(dilation, axes, "dilation"))
        check_positive(self.name, name, kernel=kernel, stride=stride, dilation=dilation,
                        out_channels=(out_channels,), groups=(groups,))
        if same and any(s != 1 for s in stride):  # torch refuses it too
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: padding 'same' needs stride 1, "
                             f"got stride {stride}")
        # 'same' keeps the left part of its padding; the conv rules add the rest (ir.Conv)
        pads = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation)) if same else per_axis(padding, axes,
                                                                                                 "padding")
        check_non_negative(self.name, name, padding=pads)
        if gain and not standardised:
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: a conv gain needs a standardised weight")
        attrs = ir.Conv(out_channels, kernel, stride, pads, dilation, groups, bias, same, bool(standardised),
                        bool(gain))
        return self.layer("conv", attrs, x, name)

    def _pool(self, kind, x, kernel, stride, padding, dilation, ceil_mode, name, count_include_pad=True,
              dims=None):
        stride = kernel if stride is None else stride
        axes = axes_of(self.name, name, dims, kernel, stride, padding, dilation)
        attrs = ir.Pool(per_axis(kernel, axes, "kernel"), per_axis(stride, axes, "stride"),
                        per_axis(padding, axes, "padding"), per_axis(dilation, axes, "dilation"), ceil_mode,
                        count_include_pad)
        check_positive(self.name, name, kernel=attrs.kernel, stride=attrs.stride, dilation=attrs.dilation)
        check_non_negative(self.name, name, padding=attrs.padding)
        return self.layer(kind, attrs, x, name)

    def maxpool(self, x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False, dims=None,
                name=None) -> str:
        return self._pool("maxpool", x, kernel, stride, padding, dilation, ceil_mode, name, dims=dims)

    def avgpool(self, x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True, dims=None,
                name=None) -> str:
        return self._pool("avgpool", x, kernel, stride, padding, 1, ceil_mode, name, count_include_pad, dims)

    def _adaptive(self, kind, x, output, dims, name) -> str:
        axes = axes_of(self.name, name, dims, output)
        attrs = ir.AdaptivePool(per_axis(output, axes, "output size"))
        check_positive(self.name, name, output=attrs.output)
        return self.layer(kind, attrs, x, name)

    def adaptive_avgpool(self, x, output, dims=None, name=None) -> str:
        return self._adaptive("adaptive_avgpool", x, output, dims, name)

    def adaptive_maxpool(self, x, output, dims=None, name=None) -> str:
        return self._adaptive("adaptive_maxpool", x, output, dims, name)

    def global_avgpool(self, x, dims=None, name=None) -> str:
        """Average over every spatial position: an adaptive average pool to size 1 (its field is global)."""
        return self.adaptive_avgpool(x, 1, dims, name)

    def lrn(self, x, size: int, alpha=1e-4, beta=0.75, k=1.0, name=None) -> str:
        """Local response normalisation across `size` neighbouring channels (AlexNet's)."""
        check_positive(self.name, name, size=(size,))
        return self.layer("lrn", ir.LRN(size, alpha, beta, k), x, name)

    def batchnorm(self, x, eps=1e-5, affine=True, track_running_stats=True, name=None) -> str:
        """Batch normalisation: a scale and shift per channel; running mean and variance as buffers."""
        return self.layer("batchnorm", ir.BatchNorm(eps, affine, track_running_stats), x, name)

    def act(self, kind: str, x, inplace=False, name=None) -> str:
        """Any elementwise activation by kind name (relu, tanh, sigmoid, gelu, ...)."""
        return self.layer(kind, ir.Elementwise(inplace), x, name)

    def relu(self, x, inplace=False, name=None) -> str:
        return self.act("relu", x, inplace, name)

    def tanh(self, x, name=None) -> str:
        return self.act("tanh", x, False, name)

    def dropout(self, x, p=0.5, name=None) -> str:
        """Dropout with probability p: the identity at inference (nothing computed, no new memory)."""
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:  # NaN fails too
            raise GraphError(f"{self.name}: layer {name or '(unnamed)'}: p must be a probability from 0 to 1, "
                             f"got {p!r}")
        return self.layer("dropout", ir.Dropout(p), x, name)

    def linear(self, x, out_features: int, bias: bool = True, name=None) -> str:
        check_positive(self.name, name, out_features=(out_features,))
        return self.layer("linear", ir.Linear(out_features, bias), x, name)

    def softmax(self, x, dim=None, name=None) -> str:
        """Softmax over the channels (the classifier's probabilities), or along torch's `dim`."""
        axis = None if dim is None else sample_axis(self.name, name, dim)
        return self.layer("softmax", ir.Softmax(axis), x, name)

    def concat(self, xs, dim=None, name=None) -> str:
        """Concatenation along the channels (Inception's, DenseNet's join), or along torch's `dim`."""
        axis = None if dim is None else sample_axis(self.name, name, dim)
        return self.layer("concat", ir.Concat(axis), xs, name)

    def add(self, xs, inplace=False, name=None) -> str:
        """Elementwise sum (a residual join)."""
        return self.layer("add", ir.Add(inplace), xs, name)

    def mean(self, xs, name=None) -> str:
        """Elementwise mean of inputs of one shape (FractalNet's join)."""
        return self.layer("mean", ir.Mean(), xs, name)

    def pad_channels(self, x, out_channels: int, name=None) -> str:
        """The input's channels followed by zero channels up to `out_channels` (a parameter-free shortcut)."""
        check_positive(self.name, name, out_channels=(out_channels,))
        return self.layer("pad_channels", ir.PadChannels(out_channels), x, name)

    def graph(self) -> Graph:
        roles = ""
        if self.channels_last:
            if not self.default_input or len(self.default_input) < 2:
                raise GraphError(f"{self.name}: channels_last needs an input of 2 or more axes (tokens x channels)")
            roles = "S" * (len(self.default_input) - 1) + "C"
        return Graph(self.name, tuple(self.layers), self.default_input, self.source, tuple(self.notes),
                     dict(self.extras), self.channels_free, roles)
