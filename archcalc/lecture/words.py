"""The lecture note's own words: its conclusion table, quoted word for word, and the architectures it covers.

The note is the CS231n lecture 9 note this project follows (Korean); its conclusion (section 결론) rates
AlexNet, VGGNet, GoogLeNet and ResNet on five criteria in one or two words each. archcalc.lecture.conclusion
sets the figures beside those words.
"""

from __future__ import annotations

# printed in `archcalc compare --lecture`'s notes (and so in the README): its wording is output
LECTURE_SOURCE = "CS231n lecture 9 note, section 결론 (conclusion)"
# the note says "VGGNet" and "ResNet" without a depth; its own figures (138M parameters; 152 layers) are
# those of VGG-16 and ResNet-152, so those are the entries compared
LECTURE_MODELS = {"AlexNet": "alexnet", "VGGNet": "vgg16", "GoogLeNet": "googlenet", "ResNet": "resnet152"}
LECTURE_CRITERIA = ("efficiency", "memory", "compute", "accuracy", "forward time")
LECTURE_HEADINGS = {"efficiency": "효율", "memory": "메모리", "compute": "계산량", "accuracy": "성능",
                    "forward time": "forward 시간"}
LECTURE_WORDS = {  # None: the note leaves the cell empty
    "AlexNet": ("낮다", "많다", "적다", "별로", None),
    "VGGNet": ("낮다", "많다", "많다", "적당", "가장 길다"),
    "GoogLeNet": ("높다", "적다", "적다", "적당", None),
    "ResNet": ("적당", "중간", "중간", "최상", None),
}
# each word as an English gloss and a level on the criterion's own scale (0 = least of the quantity)
WORD_LEVELS = {
    "낮다": ("low", 0), "적다": ("little", 0), "별로": ("poor", 0),
    "적당": ("moderate", 1), "중간": ("medium", 1),
    "높다": ("high", 2), "많다": ("much", 2), "최상": ("best", 2), "가장 길다": ("longest", 2),
}

# One entry per architecture the lecture note covers, in its order (`archcalc compare --seed` compares them).
LECTURE_ARCHITECTURES = ("lenet5", "alexnet-paper", "zfnet", "vgg16", "googlenet-paper", "resnet152", "nin",
                         "preact-resnet-152-imagenet", "wide_resnet50_2", "resnext50_32x4d",
                         "stochastic-depth-110", "fractalnet-c3-b5", "densenet121", "squeezenet1_0")
