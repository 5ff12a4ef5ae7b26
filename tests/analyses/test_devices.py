"""The device table (archcalc.analyses.devices): names as torch.cuda.get_device_name() gives them, datasheet figures.

Expected figures are quoted from the vendor datasheets named in each entry's source; "*" figures there are
quoted with 2:4 sparsity, and the dense rate is half (the datasheets' footnote).
"""

import pytest

from archcalc.analyses.devices import DEVICES, lookup, math_mode, with_sparsity
from archcalc.errors import InputError


@pytest.mark.parametrize("torch_name, entry", [
    ("NVIDIA H200", "H200 SXM"),
    ("NVIDIA H200 NVL", "H200 NVL"),
    ("NVIDIA H100 80GB HBM3", "H100 SXM"),
    ("NVIDIA H100 PCIe", "H100 PCIe"),
    ("NVIDIA H100 NVL", "H100 NVL"),
    ("NVIDIA A100-SXM4-80GB", "A100 SXM 80GB"),
    ("NVIDIA A100-SXM4-40GB", "A100 SXM 40GB"),
    ("NVIDIA A100 80GB PCIe", "A100 PCIe 80GB"),
    ("NVIDIA A100-PCIE-40GB", "A100 PCIe 40GB"),
    ("NVIDIA L4", "L4"),
    ("NVIDIA L40S", "L40S"),
    ("NVIDIA A10", "A10"),
    ("Tesla T4", "T4"),
])
def test_lookup_by_torch_device_name(torch_name, entry):
    assert lookup(torch_name).name == entry


@pytest.mark.parametrize("torch_name", ["NVIDIA GeForce RTX 4090", "NVIDIA A100", "NVIDIA A10G", "cpu", ""])
def test_unknown_or_ambiguous_names_have_no_entry(torch_name):
    assert lookup(torch_name) is None


def test_h200_sxm_figures_from_its_datasheet():
    # NVIDIA H200 datasheet, H200 SXM column: FP32 67 TFLOPS; TF32 989*, BF16 1,979*, FP16 1,979* TFLOPS
    # (* with sparsity); GPU memory bandwidth 4.8 TB/s
    h200 = lookup("NVIDIA H200")
    assert h200.peak_tflops("fp32") == 67
    assert h200.peak_tflops("tf32") == pytest.approx(989 / 2)
    assert h200.peak_tflops("bf16") == pytest.approx(1979 / 2)
    assert h200.peak_tflops("fp16") == pytest.approx(1979 / 2)
    assert h200.bandwidth_gbs == 4800


def test_a100_and_t4_figures_from_their_datasheets():
    # A100 datasheet: FP32 19.5, TF32 156, BF16 312 TFLOPS dense; 80GB SXM 2,039 GB/s
    a100 = lookup("NVIDIA A100-SXM4-80GB")
    assert (a100.peak_tflops("fp32"), a100.peak_tflops("tf32"), a100.peak_tflops("bf16")) == (19.5, 156, 312)
    assert a100.bandwidth_gbs == 2039
    # T4 datasheet: FP32 8.1, mixed precision FP16/FP32 65 TFLOPS, 320 GB/s; Turing has no BF16 tensor cores
    t4 = lookup("Tesla T4")
    assert t4.peak_tflops("fp16") == 65 and t4.peak_tflops("bf16") is None and t4.bandwidth_gbs == 320


def test_every_entry_names_its_datasheet():
    for spec in DEVICES:
        assert "datasheet" in spec.source and "https://" in spec.source, spec.name
        assert spec.bandwidth_gbs > 0 and spec.tflops.get("fp32", 0) > 0, spec.name
        for mode, value in spec.tflops.items():
            assert mode in ("fp32", "tf32", "bf16", "fp16") and value > 0, spec.name


def test_with_sparsity_halves():
    assert with_sparsity(1979) == 989.5


def test_math_mode():
    assert math_mode("float32", tf32=True) == "tf32"
    assert math_mode("float32", tf32=False) == "fp32"
    assert math_mode("bfloat16", tf32=True) == "bf16"
    assert math_mode("float16", tf32=False) == "fp16"
    with pytest.raises(InputError):
        math_mode("float64", tf32=False)
