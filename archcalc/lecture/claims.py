"""The lecture's claims, checked against archcalc's own figures.

Each claim quotes the lecture note (the Korean CS231n lecture 9 note), names where the figure was first published,
and is checked by computing the figure from zoo entries: nothing here is copied from a model. The verdict:
  holds          the computed figure is within the rounding of the quoted one ("138M": +-0.5M);
  close          within 10% of it;
  does not hold  further off; the derivation then shows what the quoted figure would need, and looks for
                 a computed quantity that explains the gap (e.g. a layer whose MACs equal the difference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..sources import analyze
from ..sources.builder import Net
from ..output.numbers import exact, in_unit, si
from ..output.tables import Table

CLOSE = 0.10  # relative gap below which a figure off its rounding is still "close"


@dataclass(frozen=True)
class ClaimCheck:
    """One quoted figure against the computed one."""

    key: str
    claim: str              # the claim in English
    quote: str              # the lecture note's words
    source: str             # where the quoted figure comes from
    quoted: str             # the figure as quoted ("138M", "12x")
    published: float
    rounding: float         # half a unit of the quoted figure's last digit
    computed: float
    unit: str               # "params", "MACs", "layers", "x", "bytes", "px", "blocks"
    derivation: tuple       # lines, each computed

    @property
    def ratio(self):
        """Computed over published (None when the published figure is 0)."""
        return self.computed / self.published if self.published else None

    @property
    def verdict(self) -> str:
        gap = abs(self.computed - self.published)
        if gap <= self.rounding:
            return "holds"
        if not self.published:
            return f"does not hold ({self.computed:g} found)"
        off = gap / self.published
        return f"close ({off:.1%} off)" if off <= CLOSE else f"does not hold ({self.ratio:.2f}x)"

    def to_dict(self) -> dict:
        return {"key": self.key, "claim": self.claim, "quote": self.quote, "source": self.source,
                "quoted": self.quoted, "published": self.published, "computed": self.computed,
                "unit": self.unit, "ratio": self.ratio, "verdict": self.verdict,
                "derivation": list(self.derivation)}


_CHECKS: list = []


def check(fn: Callable) -> Callable:
    """Register a function that returns a ClaimCheck (run in registration order)."""
    _CHECKS.append(fn)
    return fn


def all_claims() -> list:
    """Every claim, checked now."""
    return [fn() for fn in _CHECKS]


HEADER = ("claim", "quoted", "computed", "ratio", "verdict", "source")
FIGURES = ("key", "claim", "quoted", "computed", "unit", "ratio", "verdict", "source")  # csv: figures in `unit`


def claims_table(checks: list, derivations: bool = True) -> Table:
    """`archcalc claims`: one row per claim; with `derivations`, how each computed figure was obtained."""
    rows = [[c.claim, c.quoted, in_unit(c.computed, c.unit), f"{c.ratio:.3f}" if c.ratio is not None else "",
             c.verdict, c.source] for c in checks]
    notes, paragraphs = [], []
    if derivations:
        for c in checks:
            notes += [f"[bold]{c.key}[/] ({c.verdict}; the lecture: {c.quote})", *(f"  {line}" for line in c.derivation)]
            paragraphs.append(f"**{c.claim}** ({c.verdict}): " + "; ".join(c.derivation))
    figures = [[c.key, c.claim, c.published, c.computed, c.unit, c.ratio, c.verdict, c.source] for c in checks]
    # a narrow terminal wraps the claim, keeps the figures and the verdict, and hides the source first
    return Table("the lecture's claims, computed", HEADER, rows, right=("quoted", "computed", "ratio"), notes=notes,
                 paragraphs=paragraphs, document={"schema": 1, "claims": [c.to_dict() for c in checks]},
                 figures=(FIGURES, figures), keep=("claim", "verdict", "computed", "quoted", "ratio"),
                 wrap=("claim", "verdict", "source"))


def _totals(name: str) -> dict:
    return analyze(name).totals


def layers_matching(report, amount, tolerance, metric: str = "macs") -> list:
    """Names of layers whose `metric` equals `amount` within `tolerance` (to explain a gap)."""
    return [s.name for s in report.layers if getattr(s, metric) and abs(getattr(s, metric) - amount) <= tolerance]


# --- AlexNet ---------------------------------------------------------------------------------------------
ALEXNET = "Krizhevsky, Sutskever, Hinton, NIPS 2012"
LECTURE = "CS231n lecture 9 (the lecture note)"


@check
def alexnet_conv1_weights() -> ClaimCheck:
    conv1 = analyze("alexnet-paper").layer("conv1")
    return ClaimCheck("alexnet-conv1-params", "AlexNet CONV1 has 11 x 11 x 3 x 96 weights",
                      "총 파라미터 수 : 11 x 11 x 3 x 96", LECTURE, "34,848", 11 * 11 * 3 * 96, 0, conv1.weights,
                      "params", (f"alexnet-paper conv1: {exact(conv1.weights)} weights + {conv1.biases} biases",))


@check
def alexnet_conv1_output() -> ClaimCheck:
    report = analyze("alexnet-paper")
    conv1, pool1 = report.layer("conv1"), report.layer("pool1")
    return ClaimCheck("alexnet-conv1-output", "AlexNet CONV1 at 227x227 gives 55x55x96, POOL1 27x27x96",
                      "(227-11)/4+1 = 55 => 55 x 55 x 96", LECTURE, "55", 55, 0, conv1.out_shape.spatial[0], "px",
                      (f"conv1: {conv1.derivation} -> {conv1.out_shape}",
                       f"pool1: {pool1.derivation} -> {pool1.out_shape}"))


@check
def alexnet_input_227() -> ClaimCheck:
    from ..core.shape import nearest_exact_size

    report = analyze("alexnet-paper", input=(3, 224, 224))
    conv1 = report.layer("conv1")
    size = nearest_exact_size(224, 11, 4, 0)
    return ClaimCheck("alexnet-input", "AlexNet's paper says 224x224, but conv1 (11x11, stride 4) needs 227",
                      "논문에는 224 x 224로 되어 있지만 실제는 227 x 227", LECTURE, "227", 227, 0, size, "px",
                      (f"at 224: {conv1.derivation}", f"smallest input >= 224 that tiles exactly: {size}"))


@check
def alexnet_params() -> ClaimCheck:
    paper, tv = _totals("alexnet-paper")["params"], _totals("alexnet")["params"]
    return ClaimCheck("alexnet-params", "AlexNet has 60M parameters", "AlexNet은 60M", ALEXNET + " (Sec. 1)",
                      "60M", 60e6, 0.5e6, paper, "params",
                      (f"alexnet-paper (two GPU groups, 96 conv1 filters): {exact(paper)}",
                       f"torchvision alexnet (one tower, 64 conv1 filters): {exact(tv)}"))


# --- VGG -------------------------------------------------------------------------------------------------
VGG = "Simonyan, Zisserman, ICLR 2015, Table 2"


@check
def vgg16_params() -> ClaimCheck:
    t = _totals("vgg16")
    return ClaimCheck("vgg16-params", "VGG16 has 138M parameters", "총 파라미터는 138M", VGG, "138M", 138e6, 0.5e6,
                      t["params"], "params", (f"vgg16: {exact(t['params'])} parameters",))


@check
def vgg_depth() -> ClaimCheck:
    d16, d19 = _totals("vgg16")["depth"], _totals("vgg19")["depth"]
    return ClaimCheck("vgg-depth", "VGG has 16 to 19 weight layers", "16 ~ 19개의 레이어를 가짐", VGG, "16", 16, 0,
                      d16, "layers", (f"vgg16: {d16} conv + FC layers; vgg19: {d19}",))


@check
def vgg16_memory() -> ClaimCheck:
    report = analyze("vgg16")
    t = report.totals
    forward = t["activation_bytes"] + t["input_bytes"]
    relu_bytes = sum(s.out_shape.elements for s in report.layers if s.kind == "relu") * report.bytes_per_element
    needed = 100e6 / report.bytes_per_element
    return ClaimCheck(
        "vgg16-memory", "VGG16 takes about 100MB of activations per image (forward only)",
        "총 메모리 사용량은 입력 한 개당 100MB", LECTURE, "100MB",
        100e6, 5e6, forward, "bytes",
        (f"layer outputs {t['activation_bytes'] / 1e6:.2f} MB + input {t['input_bytes'] / 1e6:.2f} MB "
         f"= {forward / 1e6:.2f} MB ({exact(forward // report.bytes_per_element)} float32 values)",
         f"100MB would be {needed / 1e6:.0f}M float32 values",
         f"if every ReLU wrote a new tensor (not in place): + {relu_bytes / 1e6:.2f} MB "
         f"= {(forward + relu_bytes) / 1e6:.2f} MB"))


# --- GoogLeNet -------------------------------------------------------------------------------------------
GOOGLENET = "Szegedy et al., CVPR 2015"


@check
def googlenet_params() -> ClaimCheck:
    report = analyze("googlenet-paper")
    params = report.totals["params"]
    fc = sum(s.params for s in report.layers if s.kind == "linear")
    tv = _totals("googlenet")["params"]
    return ClaimCheck("googlenet-params", "GoogLeNet has 5M parameters", "전체 파라미터 수가 5M",
                      LECTURE + " (60M / 12, from " + GOOGLENET + ", Sec. 1: '12x fewer')", "5M", 5e6, 0.5e6,
                      params, "params",
                      (f"googlenet-paper: {exact(params)}; torchvision googlenet: {exact(tv)}",
                       f"without its FC classifier ({exact(fc)}): {exact(params - fc)}"))


@check
def googlenet_vs_alexnet() -> ClaimCheck:
    alex, goog = _totals("alexnet-paper")["params"], analyze("googlenet-paper")
    params = goog.totals["params"]
    fc = sum(s.params for s in goog.layers if s.kind == "linear")
    tv = _totals("alexnet")["params"] / _totals("googlenet")["params"]
    return ClaimCheck("googlenet-12x", "GoogLeNet has 12x fewer parameters than AlexNet",
                      "AlexNet보다 파라미터수가 12배 적다", GOOGLENET + ", Sec. 1", "12x", 12, 0.5, alex / params, "x",
                      (f"alexnet-paper / googlenet-paper = {exact(alex)} / {exact(params)} = {alex / params:.2f}x",
                       f"torchvision: alexnet / googlenet = {tv:.2f}x",
                       f"12x would need GoogLeNet at {alex / 12 / 1e6:.2f}M or AlexNet at {12 * params / 1e6:.1f}M",
                       f"without GoogLeNet's FC: {alex / (params - fc):.2f}x; the lecture's 60M / 5M = 12x"))


@check
def googlenet_depth() -> ClaimCheck:
    d = _totals("googlenet-paper")["depth"]
    return ClaimCheck("googlenet-depth", "GoogLeNet has 22 layers", "22개의 레이어를 가지고 있음",
                      GOOGLENET + ", Sec. 5 ('22 layers deep when counting only layers with parameters')", "22", 22, 0,
                      d, "layers", (f"googlenet-paper: {d} conv + FC layers on the longest path",))


@check
def googlenet_no_fc() -> ClaimCheck:
    report = analyze("googlenet-paper")
    fcs = [s for s in report.layers if s.kind == "linear"]
    share = sum(s.params for s in fcs) / report.totals["params"]
    return ClaimCheck("googlenet-fc", "GoogLeNet has no FC layers", "FC 레이어가 없다", LECTURE, "0", 0, 0, len(fcs),
                      "FC layers", tuple(f"{s.name}: {s.in_shapes[0]} -> {s.out_shape}, {exact(s.params)} params "
                                         f"({share:.0%} of the model)" for s in fcs)
                      + ("what is gone is AlexNet/VGG's stack of 4096-wide FC layers",))


@check
def inception_naive_macs() -> ClaimCheck:
    report = analyze("inception-naive")
    parts = [f"{s.name}: {exact(s.macs)}" for s in report.layers if s.macs]
    return ClaimCheck("inception-naive-macs", "the naive Inception module on 28x28x256 costs 854M ops",
                      "이 모든 레이어의 계산량을 합치면 854M개", LECTURE, "854M", 854e6, 0.5e6,
                      report.totals["macs"], "MACs", tuple(parts) + (f"output {report.layers[-1].out_shape}",))


@check
def inception_bottleneck_macs() -> ClaimCheck:
    report = analyze("inception-bottleneck")
    total = report.totals["macs"]
    parts = tuple(f"{s.name}: {exact(s.macs)}" for s in report.layers if s.macs)
    gap = 358e6 - total
    matches = layers_matching(report, gap, 0.5e6)
    explain = (f"the gap {si(gap)} equals the MACs of {' or '.join(matches)}: as if the quoted total counted it twice"
               if matches else f"the gap {si(gap)} matches no single layer")
    return ClaimCheck("inception-bottleneck-macs", "with 1x1 bottlenecks to 64 channels the module costs 358M ops",
                      "계산량을 다시 세보면 358M로 줄어들게 된다", LECTURE, "358M", 358e6, 0.5e6, total, "MACs",
                      parts + (f"total {exact(total)}", explain))


# --- ResNet and what followed ----------------------------------------------------------------------------
@check
def resnet152_depth() -> ClaimCheck:
    d = _totals("resnet152")["depth"]
    return ClaimCheck("resnet-depth", "ResNet has 152 layers", "152개의 레이어", "He et al., CVPR 2016, Table 1",
                      "152", 152, 0, d, "layers", (f"resnet152: {d} conv + FC layers on the longest path",))


@check
def three_3x3_vs_7x7() -> ClaimCheck:
    channels = 64
    net = Net("3x3x3", input=(channels, 56, 56))
    x = net.input
    for i in range(3):
        x = net.conv(x, channels, 3, padding=1, bias=False, name=f"conv{i + 1}")
    stack = analyze(net)
    single = Net("7x7", input=(channels, 56, 56))
    single.conv(single.input, channels, 7, padding=3, bias=False, name="conv")
    one = analyze(single)
    rf = stack.layers[-1].rf.size[0]
    c2 = channels * channels
    return ClaimCheck("vgg-3x3-rf", "three stacked 3x3 convs see 7x7, with 3 x 3^2 C^2 weights against 7^2 C^2",
                      "3개의 3x3 필터(stride 1)는 7x7 필터와 같은 effective receptive field",
                      "Simonyan, Zisserman, ICLR 2015, Sec. 2.3",
                      "7", 7, 0, rf, "px",
                      (f"receptive field of the stack: {rf}; of one 7x7: {one.layers[-1].rf.size[0]}",
                       f"weights at C = {channels}: {stack.totals['weights'] // c2}C^2 "
                       f"against {one.totals['weights'] // c2}C^2 (the note's '7^7' is a typo for 7^2)"))


@check
def wrn_vs_resnet152() -> ClaimCheck:
    wide, deep = _totals("wide_resnet50_2"), _totals("resnet152")
    ratio = deep["depth"] / wide["depth"]
    return ClaimCheck(
        "wrn-50-2", "a 50-layer wide ResNet beats the 152-layer ResNet with 3x fewer layers",
        "기존의 152 layer보다 이런 50 layer가 성능이 더 좋다", "Zagoruyko, Komodakis, BMVC 2016, Sec. 4 (ImageNet)",
        "3x", 3, 0.5, ratio, "x",
        (f"depth: wide_resnet50_2 {wide['depth']}, resnet152 {deep['depth']}",
         f"MACs: {si(wide['macs'])} against {si(deep['macs'])} ({wide['macs'] / deep['macs']:.2f}x)",
         f"params: {si(wide['params'])} against {si(deep['params'])} ({wide['params'] / deep['params']:.2f}x)",
         f"MACs per weighted layer: {si(wide['macs'] / wide['depth'])} against {si(deep['macs'] / deep['depth'])}"
         " (more work per layer: better parallelism)"))


@check
def resnext_equal_cost() -> ClaimCheck:
    from ..sources.zoo.resnext import TABLE2

    base = _totals("resnet50")
    lines, worst = [], 0.0
    for c, d in TABLE2:
        t = _totals(f"resnext50-{c}x{d}d")
        block = analyze(f"resnext-block-{c}x{d}d").totals["params"]
        worst = max(worst, abs(t["macs"] / base["macs"] - 1))
        lines.append(f"{c}x{d}d: params {si(t['params'])}, MACs {si(t['macs'])} "
                     f"({t['macs'] / base['macs']:.3f}x ResNet-50); conv2 block {exact(block)} params")
    return ClaimCheck("resnext-cardinality", "ResNeXt trades width for cardinality at the cost of ResNet-50",
                      "하나의 bottleneck ResNet Block은 작지만(4개의 필터) 이런 블럭이 많다(32개)",
                      "Xie et al., CVPR 2017, Table 2 (~4.1 GFLOPs each)", "1.0x", 1.0, 0.05, 1 + worst, "x",
                      tuple(lines) + (f"largest MACs difference from ResNet-50: {worst:.1%}",))


@check
def stochastic_depth_blocks() -> ClaimCheck:
    from ..sources import resolve
    from ..analyses.drop_path import expected_cost

    e = expected_cost(resolve("stochastic-depth-110"))
    fixed = 2  # the stem conv and the FC always run; each block adds two convs
    blocks = (e.expected_depth - fixed) / 2
    return ClaimCheck("stochastic-depth", "stochastic depth trains the 110-layer ResNet (54 blocks) at ~40 blocks",
                      "Training time에 몇몇 레이어를 제거한다", "Huang et al., ECCV 2016, Sec. 3 (E(L~) = (3L - 1)/4)",
                      "40", 40, 0.5, blocks, "blocks",
                      (f"expected depth {e.expected_depth:.2f} of {e.test_depth} layers",
                       f"expected training MACs {si(e.expected_macs)} of {si(e.test_macs)} "
                       f"({e.macs_ratio:.3f}x the test-time cost)"))


@check
def squeezenet_vs_alexnet() -> ClaimCheck:
    alex, squeeze = _totals("alexnet-paper")["params"], _totals("squeezenet1_0")["params"]
    tv = _totals("alexnet")["params"]
    return ClaimCheck("squeezenet-50x", "SqueezeNet has 50x fewer parameters than AlexNet",
                      "파라미터는 50배 더 적었다", "Iandola et al., 2016, Table 2", "50x", 50, 0.5, alex / squeeze, "x",
                      (f"alexnet-paper / squeezenet1_0 = {exact(alex)} / {exact(squeeze)} = {alex / squeeze:.2f}x",
                       f"torchvision alexnet / squeezenet1_0 = {tv / squeeze:.2f}x; "
                       f"/ squeezenet1_1 = {tv / _totals('squeezenet1_1')['params']:.2f}x"))


@check
def squeezenet_size() -> ClaimCheck:
    t = _totals("squeezenet1_0")
    bits = 0.5e6 * 8 / t["params"]
    return ClaimCheck("squeezenet-0.5MB", "compressed further, SqueezeNet takes 0.5MB", "0.5Mb 밖에 차지하지 않는다",
                      "Iandola et al., 2016, Table 2 (with Deep Compression: pruning, 6-bit weights)", "0.5MB", 0.5e6,
                      0.05e6, t["param_bytes"], "bytes",
                      (f"float32 weights: {exact(t['params'])} x 4 bytes = {t['param_bytes'] / 1e6:.2f} MB",
                       f"0.5MB leaves {bits:.1f} bits per parameter: pruning and quantisation, not the architecture"))


@check
def fractalnet_depth() -> ClaimCheck:
    report = analyze("fractalnet-c4-b5")
    fc = sum(1 for s in report.layers if s.kind == "linear")
    convs = report.totals["depth"] - fc
    return ClaimCheck("fractalnet-depth", "FractalNet with C = 4 columns and B = 5 blocks is 40 layers deep",
                      "얕은 경로와 깊은 경로를 모두 연결", "Larsson et al., ICLR 2017, Sec. 4 (B x 2^(C-1))", "40", 40, 0,
                      convs, "layers", (f"fractalnet-c4-b5: {report.totals['depth']} weighted layers on the "
                                        f"longest path, of which {fc} FC",))
