"""Known GPUs: peak compute per math mode and memory bandwidth, as their vendor datasheets quote them.

Each figure is a fact with its source (the datasheet named in `source`); nothing here is measured. Units:
compute in TFLOP/s (10^12 floating-point operations per second, a multiply-accumulate counting 2), memory
bandwidth in GB/s (10^9 bytes per second). Datasheets mark most tensor-core rates "with sparsity" (2:4
structured sparsity, which dense convolutions do not use): those are entered as `with_sparsity(quoted)`,
which halves them, as each datasheet's footnote says.

Math modes: "fp32" (CUDA cores), "tf32" (tensor cores on float32 inputs: what cuDNN uses for float32
convolutions by PyTorch's default), "bf16" and "fp16" (tensor cores). No torch here: the caller says which
math PyTorch may use (see `math_mode`).

A device is found by its name as `torch.cuda.get_device_name()` gives it ("NVIDIA H200",
"NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB", "NVIDIA L4", ...). A name that matches none of the
patterns, or matches a family whose variants differ (a bare "A100"), has no entry: then peaks come from
`archcalc bench --calibrate` or from options, never from a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..errors import InputError


def with_sparsity(quoted: float) -> float:
    """The dense rate of a figure the datasheet quotes "with sparsity": half of it (the datasheets' footnote)."""
    return quoted / 2


@dataclass(frozen=True)
class DeviceSpec:
    """One GPU model: dense peak TFLOP/s per math mode, memory bandwidth in GB/s, and where they come from."""

    name: str
    pattern: str  # regular expression searched (case-insensitive) in torch.cuda.get_device_name()
    tflops: dict  # math mode -> dense peak TFLOP/s; a mode the chip lacks is absent
    bandwidth_gbs: float
    source: str

    def peak_tflops(self, mode: str) -> Optional[float]:
        return self.tflops.get(mode)


H100_SOURCE = ("NVIDIA H100 Tensor Core GPU datasheet (H100 SXM, PCIe and NVL columns), "
               "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet")
H200_SOURCE = ("NVIDIA H200 Tensor Core GPU datasheet (H200 SXM and NVL columns), "
               "https://resources.nvidia.com/en-us-data-center-overview-mc/en-us-data-center-overview/"
               "hpc-datasheet-sc23-h200")
A100_SOURCE = ("NVIDIA A100 Tensor Core GPU datasheet (A100 40GB/80GB PCIe and SXM columns), "
               "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/"
               "nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf")
L4_SOURCE = "NVIDIA L4 Tensor Core GPU datasheet, https://resources.nvidia.com/en-us-data-center-overview/l4-gpu-datasheet"
L40S_SOURCE = "NVIDIA L40S GPU datasheet, https://resources.nvidia.com/en-us-l40s/l40s-datasheet-28413"
A10_SOURCE = ("NVIDIA A10 Tensor Core GPU datasheet, https://www.nvidia.com/content/dam/en-zz/Solutions/"
              "Data-Center/a10/pdf/datasheet-new/nvidia-a10-datasheet.pdf")
T4_SOURCE = ("NVIDIA T4 Tensor Core GPU datasheet, https://www.nvidia.com/content/dam/en-zz/Solutions/"
             "Data-Center/tesla-t4/t4-tensor-core-datasheet-951643.pdf")


def _hopper(fp32: float, tf32_sparse: float, half_sparse: float) -> dict:
    """A Hopper column: FP32, and TF32 / BF16 / FP16 tensor-core rates quoted with sparsity."""
    return {"fp32": fp32, "tf32": with_sparsity(tf32_sparse), "bf16": with_sparsity(half_sparse),
            "fp16": with_sparsity(half_sparse)}


# Order matters: the first pattern that matches wins, so the more specific names come first.
DEVICES = (
    DeviceSpec("H200 NVL", r"H200 NVL", _hopper(60, 835, 1671), 4800, H200_SOURCE),
    DeviceSpec("H200 SXM", r"H200", _hopper(67, 989, 1979), 4800, H200_SOURCE),
    DeviceSpec("H100 NVL", r"H100 NVL", _hopper(60, 835, 1671), 3900, H100_SOURCE),
    DeviceSpec("H100 PCIe", r"H100 PCIe", _hopper(51, 756, 1513), 2000, H100_SOURCE),
    DeviceSpec("H100 SXM", r"H100( 80GB HBM3| SXM)", _hopper(67, 989, 1979), 3350, H100_SOURCE),
    # A100: the datasheet quotes TF32 156, BF16/FP16 312 dense (and twice that with sparsity) for every column
    DeviceSpec("A100 SXM 80GB", r"A100[- ]SXM4?[- ]80GB|A100 80GB SXM",
               {"fp32": 19.5, "tf32": 156, "bf16": 312, "fp16": 312}, 2039, A100_SOURCE),
    DeviceSpec("A100 SXM 40GB", r"A100[- ]SXM4?[- ]40GB",
               {"fp32": 19.5, "tf32": 156, "bf16": 312, "fp16": 312}, 1555, A100_SOURCE),
    DeviceSpec("A100 PCIe 80GB", r"A100 80GB PCIe|A100[- ]PCIE[- ]80GB",
               {"fp32": 19.5, "tf32": 156, "bf16": 312, "fp16": 312}, 1935, A100_SOURCE),
    DeviceSpec("A100 PCIe 40GB", r"A100[- ]PCIE[- ]40GB",
               {"fp32": 19.5, "tf32": 156, "bf16": 312, "fp16": 312}, 1555, A100_SOURCE),
    DeviceSpec("L40S", r"\bL40S\b", {"fp32": 91.6, "tf32": 183, "bf16": 362.05, "fp16": 362.05}, 864, L40S_SOURCE),
    DeviceSpec("L4", r"\bL4\b", {"fp32": 30.3, "tf32": with_sparsity(120), "bf16": with_sparsity(242),
                                "fp16": with_sparsity(242)}, 300, L4_SOURCE),
    DeviceSpec("A10", r"\bA10\b(?!G)", {"fp32": 31.2, "tf32": 62.5, "bf16": 125, "fp16": 125}, 600, A10_SOURCE),
    # T4 (Turing): no TF32 or BF16 tensor cores; "mixed precision (FP16/FP32)" 65 TFLOPS
    DeviceSpec("T4", r"\bT4\b", {"fp32": 8.1, "fp16": 65}, 320, T4_SOURCE),
)


def lookup(device_name: str) -> Optional[DeviceSpec]:
    """The entry whose pattern occurs in `device_name` (torch.cuda.get_device_name()), or None."""
    for spec in DEVICES:
        if re.search(spec.pattern, device_name, flags=re.IGNORECASE):
            return spec
    return None


MATH_BY_DTYPE = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def math_mode(dtype: str, tf32: bool) -> str:
    """The fastest math PyTorch may use for `dtype`: float32 runs on TF32 tensor cores when `tf32` is allowed.

    PyTorch lets cuDNN convolutions use TF32 by default (torch.backends.cudnn.allow_tf32), so for float32
    models the TF32 rate is the ceiling a lower bound must use.
    """
    try:
        mode = MATH_BY_DTYPE[dtype]
    except KeyError:
        raise InputError(f"dtype '{dtype}' is not one of {', '.join(MATH_BY_DTYPE)}") from None
    return "tf32" if mode == "fp32" and tf32 else mode
