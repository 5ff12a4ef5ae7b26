"""Sliding-window size arithmetic and input parsing; expected values written as arithmetic."""

import pytest

from archcalc.errors import InputError
from archcalc.core.shape import Shape, nearest_exact_size, parse_input, window_output_size


@pytest.mark.parametrize("size, k, s, p, d, ceil, expected", [
    (227, 11, 4, 0, 1, False, (227 - 11) // 4 + 1),          # AlexNet conv1: 55
    (55, 3, 2, 0, 1, False, (55 - 3) // 2 + 1),              # AlexNet pool1: 27
    (224, 11, 4, 2, 1, False, (224 + 2 * 2 - 11) // 4 + 1),  # torchvision AlexNet conv1: 55
    (224, 7, 2, 3, 1, False, (224 + 2 * 3 - 7) // 2 + 1),    # ResNet conv1: 112
    (112, 3, 2, 0, 1, True, -(-(112 - 3) // 2) + 1),          # GoogLeNet pool, ceil mode: 56
    (32, 3, 1, 2, 2, False, (32 + 2 * 2 - (2 * (3 - 1) + 1)) // 1 + 1),  # dilated: 32
    (7, 7, 1, 0, 1, False, 1),
])
def test_window_output_size(size, k, s, p, d, ceil, expected):
    assert window_output_size(size, k, s, p, d, ceil).value == expected


def test_ceil_mode_drops_a_window_starting_in_the_padding():
    # PyTorch: with ceil_mode the last window must start inside the input or the left padding.
    # size 5, k 2, s 2, p 1: ceil((5 + 2 - 2)/2) + 1 = 4 windows, but the 4th starts at 3*2 = 6 >= 5 + 1.
    assert window_output_size(5, 2, 2, 1, 1, True).value == 3


def test_derivation_text_shows_the_arithmetic():
    assert window_output_size(227, 11, 4, 0).text == "(227 - 11)/4 + 1 = 55"
    assert window_output_size(224, 11, 4, 0).text == "(224 - 11)/4 + 1 = 54.25 -> 54 (floor)"
    assert window_output_size(13, 3, 1, 1).text == "(13 + 2*1 - 3)/1 + 1 = 13"


def test_nearest_exact_size_is_the_lectures_227():
    # (n - 11) must be divisible by 4: 224 -> 227, as the lecture says for AlexNet.
    assert nearest_exact_size(224, 11, 4, 0) == 224 + 3


@pytest.mark.parametrize("text, channels, spatial", [
    ("3x224x224", 3, (224, 224)), ("3,32,32", 3, (32, 32)), ("1x28x28", 1, (28, 28)),
])
def test_parse_input(text, channels, spatial):
    assert parse_input(text) == Shape(channels, spatial)


def test_parse_symbolic_input():
    shape = parse_input("3xHxW")
    assert shape.channels == 3
    assert [str(d) for d in shape.spatial] == ["H", "W"]


@pytest.mark.parametrize("text, fragment", [
    ("3x0x224", "dimension 2 is 0"), ("1x2x3x4x5", "got 5 dimensions"), ("3x%x4", "dimension 2 is '%'"),
    ("3x-5x5", "dimension 2 is -5"), ("3xx224", "expected channels and up to 3 spatial sizes"),
    ("3x2.5x4", "dimension 2 is '2.5'"), ("", "an empty dimension"),
])
def test_parse_input_errors(text, fragment):
    with pytest.raises(InputError, match=fragment.replace(".", r"\.")):
        parse_input(text)


@pytest.mark.parametrize("text, channels, spatial", [
    ("512", 512, ()), ("1x16000", 1, (16000,)), ("3x224x224", 3, (224, 224)), ("3x16x112x112", 3, (16, 112, 112)),
])
def test_parse_input_of_any_rank(text, channels, spatial):
    shape = parse_input(text)
    assert (shape.channels, shape.spatial) == (channels, spatial) and str(shape) == text


def test_symbols_anywhere_in_a_3d_input():
    shape = parse_input("CxDxHxW")
    assert [str(d) for d in shape.as_list()] == ["C", "D", "H", "W"]
