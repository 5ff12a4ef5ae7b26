"""Small PyTorch models for the importer's tests: read by `archcalc summary tests/data/torch/small_nets.py:NAME`."""

import torch
from torch import nn


class Residual(nn.Module):
    """conv-bn-relu twice with a residual add; one ReLU module called twice (shared); a frozen stem."""

    def __init__(self, width: int = 8, classes: int = 10):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.stem.weight.requires_grad_(False)  # a frozen stem: counted, not trainable
        self.conv1 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        x = self.stem(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        x = self.relu(x + y)
        return self.fc(torch.flatten(self.pool(x), 1))


class Tied(nn.Module):
    """One linear layer applied twice: its parameters count once, its MACs twice."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 16)

    def forward(self, x):
        return self.fc(torch.relu(self.fc(x)))


class Spectral(nn.Module):
    """An FFT, which archcalc does not know: refused, naming the operation."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        y = torch.fft.fft2(self.conv(x)).real
        z = torch.fft.fft2(y).real
        return z


class Branchy(nn.Module):
    """A branch on a tensor's value: torch.fx cannot follow it."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        if x.sum() > 0:
            return self.conv(x)
        return x


def residual():
    """A factory: the Residual model with its default widths."""
    return Residual()


class SizeBranchy(nn.Module):
    """Branches on sizes, as timm's models do: "same" padding computed with math.ceil and max, a pad only
    when the size is not a multiple of the window, a grid side from int(math.sqrt(tokens)), a len() of a
    shape. torch.fx's plain trace stops at the first `if`; the sized trace follows them."""

    def __init__(self, window: int = 4):
        super().__init__()
        self.window = window
        self.conv = nn.Conv2d(3, 8, 3, stride=2)
        self.proj = nn.Linear(8, 16)

    def forward(self, x, mask=None):
        import math

        import torch.nn.functional as F

        h, w = x.shape[-2:]
        pad_h = max((math.ceil(h / 2) - 1) * 2 + 3 - h, 0)
        pad_w = max((math.ceil(w / 2) - 1) * 2 + 3 - w, 0)
        if pad_h or pad_w:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        x = self.conv(x)
        if mask is not None:
            x = x * mask
        tokens = x.flatten(2).transpose(1, 2)
        side = int(math.sqrt(tokens.shape[1]))
        if len(x.shape) == 4 and side * side == tokens.shape[1]:
            tokens = tokens * 2.0
        return self.proj(tokens)


class TwoUnknown(nn.Module):
    """Two operations archcalc does not know (an FFT and the error function): one error line each."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        y = torch.fft.fft2(self.conv(x)).real
        return torch.special.erf(y) + torch.special.erf(x.sum(1, keepdim=True))
