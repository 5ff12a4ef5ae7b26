"""FractalNet (Larsson, Maire, Shakhnarovich, ICLR 2017): the CIFAR networks by columns C and blocks B.

A block is the truncated fractal f_C: f_1(z) = conv(z), f_{C+1}(z) = join(conv(z), f_C(f_C(z))), with the
nested joins merged, so that column c (1 = shallowest) has 2^(c-1) convs and a join averages every column
that ends a conv at the same depth (element-wise mean, the `mean` kind). Each conv is conv 3x3 - BN - ReLU
(dropout before the BN when asked); the paper's CIFAR nets have B = 5 blocks of 64, 128, 256, 512, 512
channels, each followed by a 2x2 max pool, which the paper places before the block's last join (as the
authors' generator does: every column is pooled, then joined). Then an FC layer on the 1x1 map.

Drop-path (Sec. 3.1): a local join drops each input with probability 0.15 but keeps at least one; global
drop-path keeps a single column for the whole network; the paper trains with half of each. The graph's
extras carry both, for `archcalc.analyses.drop_path`. Test time runs every column: the report is the test-time cost.
"""

from __future__ import annotations


from . import ZooEntry, register, register_family
from ...errors import UnknownModelError
from ...core.ir import Mean

PAPER = "Larsson, Maire, Shakhnarovich, FractalNet: Ultra-Deep Neural Networks without Residuals, ICLR 2017"
CIFAR_WIDTHS = (64, 128, 256, 512, 512)  # Sec. 4: filter counts of the five blocks
DROPOUT = (0.0, 0.1, 0.2, 0.3, 0.4)      # Sec. 4: per-block dropout of the "+ dropout" variants
LOCAL_DROP = 0.15                        # Sec. 4: local drop-path rate
GLOBAL_SHARE = 0.5                       # Sec. 4: half of the mini-batches use global drop-path


def conv_unit(net, x, out_channels: int, dropout: float, name: str) -> str:
    """conv 3x3 (no bias: a BN follows), dropout when asked, BN, ReLU."""
    with net.scope(name):
        x = net.conv(x, out_channels, 3, 1, 1, bias=False, name="conv")
        if dropout:
            x = net.dropout(x, dropout, name="dropout")
        return net.relu(net.batchnorm(x, name="bn"), inplace=True, name="relu")


def fractal_block(net, x, out_channels: int, columns: int, pool: bool = True, dropout: float = 0.0) -> tuple:
    """One fractal block of `columns` columns. Returns (output, {join name: column of each input});
    columns are numbered 1 (one conv) to C (2^(C-1) convs)."""
    length = 2 ** (columns - 1)
    current = {c: x for c in range(1, columns + 1)}
    convs = {c: 0 for c in range(1, columns + 1)}
    joins = {}
    for position in range(1, length + 1):
        # column c's convs each span 2^(C-c) positions of the deepest column
        ending = [c for c in range(columns, 0, -1) if position % 2 ** (columns - c) == 0]
        for c in ending:
            convs[c] += 1
            current[c] = conv_unit(net, current[c], out_channels, dropout, f"col{c}.conv{convs[c]}")
            if pool and position == length:
                current[c] = net.maxpool(current[c], 2, 2, name=f"col{c}.pool")
        if len(ending) > 1:
            join = net.layer("mean", Mean(), [current[c] for c in ending], name=f"join{position}")
            joins[join] = tuple(ending)
            for c in ending:
                current[c] = join
    return current[1], joins


def fractalnet(net, columns: int = 3, blocks: int = 5, widths=CIFAR_WIDTHS, dropout: bool = False,
               num_classes: int = 10):
    """B fractal blocks of C columns (a 2x2 max pool each), then FC; drop-path schedule in net.extras."""
    x, joins = net.input, {}
    for b in range(blocks):
        with net.scope(f"block{b + 1}"):
            x, block_joins = fractal_block(net, x, widths[b], columns, dropout=DROPOUT[b] if dropout else 0.0)
        joins.update(block_joins)
    net.linear(net.flatten(x, name="flatten"), num_classes, name="fc")
    net.extras["drop_path"] = drop_path_schedule(joins, columns)


def drop_path_schedule(joins: dict, columns: int) -> dict:
    """The paper's training schedule in the form `archcalc.analyses.drop_path` reads (see its docstring)."""
    return {
        "scheme": f"FractalNet drop-path: local (each join input dropped with p = {LOCAL_DROP}, at least one "
                  f"kept) for {1 - GLOBAL_SHARE:.0%} of batches, global (one column) for {GLOBAL_SHARE:.0%}",
        "keep": {j: (1 - LOCAL_DROP,) * len(cols) for j, cols in joins.items()},
        "at_least_one": True,
        "columns": dict(joins), "num_columns": columns, "global_share": GLOBAL_SHARE,
    }


def _entry(match) -> ZooEntry:
    columns, blocks = int(match.group(1)), int(match.group(2))
    if not 1 <= columns <= 6 or not 1 <= blocks <= len(CIFAR_WIDTHS):
        raise UnknownModelError(f"fractalnet-c{columns}-b{blocks}: columns must be 1 to 6 and blocks 1 to "
                                f"{len(CIFAR_WIDTHS)} (a 32x32 input halves five times), e.g. fractalnet-c3-b5")
    layers = blocks * 2 ** (columns - 1)
    return ZooEntry(f"fractalnet-c{columns}-b{blocks}", fractalnet, PAPER + ", Sec. 4 (CIFAR)", (3, 32, 32),
                    "FractalNet", f"FractalNet, {columns} columns x {blocks} blocks: {layers} conv layers on the "
                    "deepest path, mean joins (test-time cost shown)",
                    options={"columns": columns, "blocks": blocks})



register_family(r"fractalnet-c([0-9]+)-b([0-9]+)", _entry, ("fractalnet-c3-b5", "fractalnet-c4-b5"))


@register("fractal-block", source=PAPER + ", Fig. 1 (a block of C = 4 columns, without its pool)",
          input=(64, 32, 32), family="FractalNet",
          description="fractal block, 4 columns (1, 2, 4, 8 convs of 64 channels), mean joins")
def fractal_block_module(net, columns: int = 4, out_channels: int = 64):
    _, joins = fractal_block(net, net.input, out_channels, columns, pool=False)
    net.extras["drop_path"] = drop_path_schedule(joins, columns)
