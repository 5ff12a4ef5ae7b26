"""The importer's torch.einsum (the batched matrix products it writes: MaxViT's q k^T and a v) and
torch.swapaxes (another spelling of transpose).

An einsum of two operands whose output is (leading axes..., i, j), both operands carrying the same leading
axes in the same order and their last two axes {i, k} and {k, j}, is a matmul (with the operands' last two
axes transposed where the equation has them the other way round): n x k x m MACs per leading index, as
FlopCounterMode counts the bmm torch runs. Any other equation is refused by name, never guessed.

An einsum of parameters and buffers alone (timm's RelPosBiasTf: its bias table contracted with one-hot
lookup buffers, MaxViT-TF) runs once per forward, whatever the batch: its result stays a Param made of its
operands' elements (torch_param_modules' design), and its MACs, one per product of the letters' sizes that
survive into the output or are summed between both operands (as the bmm torch runs, which FlopCounterMode
counts), are added once to the total, not to any layer.
"""

from __future__ import annotations

from .torch_functions import FUNCTIONS, METHODS, arg, tensor
from .torch_values import Param, Tensor, UnsupportedOp


def _parse(equation: str) -> tuple:
    """(left operand's letters, right operand's, output's) of a two-operand equation without '...'."""
    text = "".join(str(equation).split())
    if "->" not in text or "." in text:
        raise UnsupportedOp(f"torch.einsum '{equation}' (only explicit two-operand equations are read)")
    inputs, out = text.split("->")
    parts = inputs.split(",")
    if len(parts) != 2:
        raise UnsupportedOp(f"torch.einsum '{equation}' of {len(parts)} operands")
    return parts[0], parts[1], out


def _product(equation: str, a: str, b: str, out: str) -> tuple:
    """(transpose a, transpose b, swap the operands) that make the einsum a matmul; UnsupportedOp otherwise."""
    lead = out[:-2]
    refuse = UnsupportedOp(f"torch.einsum '{equation}' (not a batched matrix product with shared leading axes)")
    if len(out) < 3 or a[:-2] != lead or b[:-2] != lead or len(set(a)) != len(a) or len(set(b)) != len(b):
        raise refuse
    i, j = out[-2:]
    if i in b[-2:] and j in a[-2:]:
        a, b, swap = b, a, True
    else:
        swap = False
    if i not in a[-2:] or j not in b[-2:]:
        raise refuse
    k = (set(a[-2:]) - {i}).pop() if len(set(a[-2:]) - {i}) == 1 else None
    if k is None or k in out or set(b[-2:]) != {k, j}:
        raise refuse
    return a[-2:] == k + i, b[-2:] == j + k, swap


def einsum(imp, args, kwargs):
    """torch.einsum(equation, a, b) as a matmul, when the equation is one (see the module's docstring)."""
    equation, operands = args[0], list(args[1:])
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = list(operands[0])
    if len(operands) != 2:
        raise UnsupportedOp(f"torch.einsum '{equation}' of {len(operands)} operands")
    a_letters, b_letters, out = _parse(equation)
    if all(isinstance(v, Param) for v in operands):
        return _on_params(imp, equation, (a_letters, b_letters), out, operands)
    x, y = (tensor(v, "torch.einsum") for v in operands)
    if len(a_letters) != x.shape.rank + 1 or len(b_letters) != y.shape.rank + 1:  # the batch axis is apart
        raise UnsupportedOp(f"torch.einsum '{equation}' whose letters do not match its operands' axes")
    flip_a, flip_b, swap = _product(equation, a_letters, b_letters, out)
    if swap:
        x, y = y, x
    if flip_a:
        x = imp.build("transpose", x, None, dim0=-2, dim1=-1)
    if flip_b:
        y = imp.build("transpose", y, None, dim0=-2, dim1=-1)
    return imp.build("matmul", [x, y], None)


def _on_params(imp, equation: str, inputs: tuple, out: str, operands: list) -> Param:
    """An einsum of parameters and buffers: a Param of the output's shape; its MACs once per forward."""
    from .torch_fx import owner_of
    from .torch_param_modules import add_param_macs

    sizes: dict = {}
    for letters, p in zip(inputs, operands):
        if len(letters) != len(p.shape):
            raise UnsupportedOp(f"torch.einsum '{equation}' whose letters do not match its operands' axes")
        for letter, size in zip(letters, p.shape):
            if sizes.setdefault(letter, size) != size:
                raise UnsupportedOp(f"torch.einsum '{equation}' with letter {letter} of two sizes")
    macs = 1
    for letter, size in sizes.items():
        if letter in out or all(letter in letters for letters in inputs):
            macs *= size
    add_param_macs(imp, owner_of(imp.node) or "einsum", macs)
    return operands[0].derived(tuple(sizes[letter] for letter in out), *operands[1:])


def swapaxes(imp, args, kwargs):
    """torch.swapaxes / Tensor.swapaxes (and swapdims): transpose by another name."""
    x = args[0]
    if not isinstance(x, Tensor):
        raise UnsupportedOp(f"swapaxes of a {type(x).__name__}")
    first = arg(args, kwargs, 1, "axis0", kwargs.get("dim0"))
    second = arg(args, kwargs, 2, "axis1", kwargs.get("dim1"))
    return imp.build("transpose", x, None, dim0=first, dim1=second)


FUNCTIONS["torch.einsum"] = einsum
for _name in ("swapaxes", "swapdims"):
    FUNCTIONS[f"torch.{_name}"] = swapaxes
    METHODS[_name] = swapaxes
