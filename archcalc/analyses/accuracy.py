"""Published facts that the engine cannot compute: the accuracy of trained weights, each with its source.

Top-1 / top-5 accuracy are in percent on the ImageNet-1K validation set, as torchvision documents them for
its IMAGENET1K_V1 weights (one 224x224 centre crop; the weights' `meta["_metrics"]["ImageNet-1K"]`, also the
table at TORCHVISION_DOCS). V1 weights throughout: they are the classic training recipes, closest to the
papers; torchvision's later V2 weights (e.g. resnet152 82.284) come from a newer recipe, not the
architecture. A zoo entry without a row here has no published figure in archcalc: its cells stay empty.
Nothing here is computed, estimated or invented; tests check every row against torchvision's metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

TORCHVISION_DOCS = "https://docs.pytorch.org/vision/stable/models.html"
DATASET = "ImageNet-1K val, single 224 crop"


@dataclass(frozen=True)
class Accuracy:
    """Published classification accuracy of one model's weights, in percent."""

    model: str  # zoo name
    top1: float  # percent
    top5: Optional[float]  # percent
    weights: str  # e.g. "ResNet152_Weights.IMAGENET1K_V1"
    dataset: str
    source: str  # where a reader can check the figure

    @property
    def citation(self) -> str:
        """Short citation for a table cell."""
        return f"torchvision {self.weights}"


def _torchvision(model: str, weights: str, top1: float, top5: float) -> Accuracy:
    return Accuracy(model, top1, top5, weights, DATASET,
                    f"torchvision {weights}.meta['_metrics']['ImageNet-1K'] ({TORCHVISION_DOCS})")


# (zoo name, torchvision weights, acc@1, acc@5), quoted from torchvision 0.28's weight metadata
_TORCHVISION_V1 = (
    ("alexnet", "AlexNet_Weights.IMAGENET1K_V1", 56.522, 79.066),
    ("vgg11", "VGG11_Weights.IMAGENET1K_V1", 69.020, 88.628),
    ("vgg13", "VGG13_Weights.IMAGENET1K_V1", 69.928, 89.246),
    ("vgg16", "VGG16_Weights.IMAGENET1K_V1", 71.592, 90.382),
    ("vgg19", "VGG19_Weights.IMAGENET1K_V1", 72.376, 90.876),
    ("vgg11_bn", "VGG11_BN_Weights.IMAGENET1K_V1", 70.370, 89.810),
    ("vgg13_bn", "VGG13_BN_Weights.IMAGENET1K_V1", 71.586, 90.374),
    ("vgg16_bn", "VGG16_BN_Weights.IMAGENET1K_V1", 73.360, 91.516),
    ("vgg19_bn", "VGG19_BN_Weights.IMAGENET1K_V1", 74.218, 91.842),
    ("googlenet", "GoogLeNet_Weights.IMAGENET1K_V1", 69.778, 89.530),
    ("resnet18", "ResNet18_Weights.IMAGENET1K_V1", 69.758, 89.078),
    ("resnet34", "ResNet34_Weights.IMAGENET1K_V1", 73.314, 91.420),
    ("resnet50", "ResNet50_Weights.IMAGENET1K_V1", 76.130, 92.862),
    ("resnet101", "ResNet101_Weights.IMAGENET1K_V1", 77.374, 93.546),
    ("resnet152", "ResNet152_Weights.IMAGENET1K_V1", 78.312, 94.046),
    ("resnext50_32x4d", "ResNeXt50_32X4D_Weights.IMAGENET1K_V1", 77.618, 93.698),
    ("resnext101_32x8d", "ResNeXt101_32X8D_Weights.IMAGENET1K_V1", 79.312, 94.526),
    ("wide_resnet50_2", "Wide_ResNet50_2_Weights.IMAGENET1K_V1", 78.468, 94.086),
    ("wide_resnet101_2", "Wide_ResNet101_2_Weights.IMAGENET1K_V1", 78.848, 94.284),
    ("densenet121", "DenseNet121_Weights.IMAGENET1K_V1", 74.434, 91.972),
    ("densenet161", "DenseNet161_Weights.IMAGENET1K_V1", 77.138, 93.560),
    ("densenet169", "DenseNet169_Weights.IMAGENET1K_V1", 75.600, 92.806),
    ("densenet201", "DenseNet201_Weights.IMAGENET1K_V1", 76.896, 93.370),
    ("squeezenet1_0", "SqueezeNet1_0_Weights.IMAGENET1K_V1", 58.092, 80.420),
    ("squeezenet1_1", "SqueezeNet1_1_Weights.IMAGENET1K_V1", 58.178, 80.624),
)

ACCURACY = {m: _torchvision(m, w, a1, a5) for m, w, a1, a5 in _TORCHVISION_V1}


def accuracy(model: str) -> Optional[Accuracy]:
    """The published accuracy of a zoo entry, or None when archcalc knows no sourced figure."""
    return ACCURACY.get(model)
