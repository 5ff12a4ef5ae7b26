"""The lecture's words about real models (GoogLeNet's "5M", AlexNet's two GPUs and 227 pixels, VGG16's
"100 MB" and "more for backward"), set against the counts of the real torch models, computed or measured
now. torch is imported lazily: only `verify --lecture` pays for it.
"""

from __future__ import annotations

from ..conventions import MB
from ..errors import InputError
from ..sources import analyze
from ..sources.files import read_json_file


def load_cuda_results(path) -> dict:
    """{model: figures} from a cuda_verify.json written by benchmarks/cuda_verify.py on a GPU."""
    data = read_json_file(path, "--cuda-results", InputError)
    try:
        return {r["model"]: r for r in data.get("models", [])}
    except (AttributeError, KeyError, TypeError) as err:
        raise InputError(f"--cuda-results {path}: not a cuda_verify.json ({type(err).__name__})") from None


def _mb(value) -> str:
    return f"{value / MB:.1f} MB"


def lecture_comparison(cuda_results: dict | None = None) -> str:
    """Markdown: the lecture's figures against the real models, every number computed or measured now.

    cuda_results: {"vgg16": {"inference_bytes": ..., "training_bytes": ..., "device": ...}} from
    load_cuda_results, when a GPU run exists; otherwise the CUDA line says it is still to run.
    """
    lines = ["| the lecture says | the real model | what it means |", "|---|---|---|",
             _googlenet_row(), *_alexnet_rows(), *_vgg_rows()]
    vgg_cuda = (cuda_results or {}).get("vgg16")
    if vgg_cuda:
        lines.append(f"| VGG16 on a GPU | CUDA peak above the weights: inference {_mb(vgg_cuda['inference_bytes'])}, "
                     f"training step {_mb(vgg_cuda['training_bytes'])} ({vgg_cuda.get('device', 'CUDA')}) | "
                     "allocator view: includes cuDNN workspaces and weight gradients |")
    else:
        lines.append("| VGG16 on a GPU | CUDA peak: still to run (benchmarks/cuda_verify.py) | |")
    return "\n".join(lines) + "\n"


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _googlenet_row() -> str:
    from ..pytorch.torchvision_models import build_torchvision

    paper, paper_aux = analyze("googlenet-paper").totals["params"], analyze("googlenet-paper-aux").totals["params"]
    tv_google, tv_google_aux = _count(build_torchvision("googlenet")), _count(build_torchvision("googlenet-aux"))
    return (f"| GoogLeNet: \"5M\" parameters | the paper's network (archcalc `googlenet-paper`): {paper:,}; with its "
            f"two auxiliary classifiers {paper_aux:,}. torchvision's `googlenet` (counted on the torch model): "
            f"{tv_google:,}; with aux heads {tv_google_aux:,} | neither network has 5M; the auxiliary heads, "
            "used only in training, about double the count |")


def _alexnet_rows() -> list:
    from ..pytorch.torchvision_models import build_torchvision

    two_gpu = analyze("alexnet-paper")
    tower = build_torchvision("alexnet")
    conv1_paper, conv1_tv = two_gpu.layer("conv1"), analyze("alexnet").layer("features.0")
    at224 = analyze("alexnet-paper", input=(3, 224, 224))
    warning = next((d["message"] for d in at224.diagnostics if d["layer"] == "conv1"), "")
    warning = warning.split("; ", 1)[-1]  # the arithmetic is shown already
    return [
        f"| AlexNet: two GPUs, CONV1 is 55x55x96 split as 2x48 | `alexnet-paper` (groups=2 on conv2, 4, 5): "
        f"conv1 {conv1_paper.out_shape}, {two_gpu.totals['params']:,} parameters; torchvision's single tower "
        f"(counted on the torch model): conv1 {conv1_tv.out_shape}, {_count(tower):,} parameters | the towers "
        "are an artefact of 3 GB GPUs; torchvision follows the later one-tower variant (64 conv1 filters) |",
        f"| AlexNet's input is \"really 227\", not 224 | conv1 at 227: {conv1_paper.derivation}; at 224: "
        f"{at224.layer('conv1').derivation} ({warning}) | torchvision pads conv1 by 2 instead: "
        f"{conv1_tv.derivation} |"]


def _vgg_rows() -> list:
    from ..analyses.backward_memory import training_memory
    from ..analyses.inference_memory import inference_memory
    from ..pytorch.measured_memory import saved_tensor_bytes
    from ..pytorch.torchvision_models import build_torchvision

    vgg = analyze("vgg16")
    every_output = sum(s.out_shape.elements for s in vgg.layers) * vgg.bytes_per_element
    measured_saved = saved_tensor_bytes(build_torchvision("vgg16"), (3, 224, 224)).activation_bytes
    return [
        "| VGG16: about 100 MB of memory per image (forward) | every layer's output (ReLU, flatten, dropout "
        f"included) as its own tensor: "
        f"{_mb(every_output)}; archcalc's activation memory (in-place ReLUs add nothing; measured by forward "
        f"hooks, equal): {_mb(vgg.totals['activation_bytes'])}; inference peak (tensors alive at once): "
        f"{_mb(inference_memory('vgg16').peak_bytes)} | no count of VGG16's forward tensors gives 100 MB "
        "exactly; a real forward pass frees each tensor after its last use and needs far less at once |",
        f"| VGG16: \"more for the backward pass\" | saved for backward, analytic "
        f"{_mb(training_memory('vgg16').total_bytes)}, measured with saved_tensors_hooks on torchvision's "
        f"model {_mb(measured_saved)} | what autograd keeps until backward: conv inputs, ReLU outputs, "
        "pool inputs and indices, dropout masks |"]
