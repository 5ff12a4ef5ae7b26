"""The memoised symbolic helpers of core.shape give what sympy itself gives, and repeat it exactly."""

from __future__ import annotations

import sympy

from archcalc.core.shape import (ceil_div, floor_div, fmt_dim, formula_text, is_symbolic, product,
                                 window_output_size)

H = sympy.Symbol("H", positive=True, integer=True)
W = sympy.Symbol("W", positive=True, integer=True)


def test_formula_text_is_sympy_str():
    h1 = sympy.floor((H - 1) / 2) + 1
    w1 = sympy.floor((W - 1) / 2) + 1
    formulas = [h1, 64 * h1 * w1, 147 * (64 * h1) * w1, sympy.Min(h1, w1), H / 3 - sympy.Rational(1, 2),
                (H - 4) * (W - 4) / 250000, -2 * H + 7, sympy.Float("0.50") * H, h1 ** 2]
    for f in formulas:
        assert formula_text(f) == str(f)
        assert formula_text(f) == str(f)  # a second time: from the memo
    assert formula_text(7) == "7"
    assert formula_text(64 * h1 * w1) == "(64*floor(H/2 - 1/2) + 64)*(floor(W/2 - 1/2) + 1)"


def test_fmt_dim_puts_each_floor_over_one_denominator():
    size = sympy.floor((H - 11) / 4) + 1
    assert fmt_dim(size) == "floor((H - 11)/4) + 1"
    nested = sympy.floor((sympy.floor((H - 1) / 2) - 1) / 2) + 1
    assert fmt_dim(nested) == "floor((floor((H - 1)/2) - 1)/2) + 1"
    assert fmt_dim(nested) == fmt_dim(nested)
    # the same text sympy's replace() gives
    tidy = nested.replace(lambda e: isinstance(e, sympy.floor),
                          lambda e: e.func(sympy.together(e.args[0]), evaluate=False))
    assert fmt_dim(nested) == str(tidy)
    assert fmt_dim(224) == "224" and fmt_dim(H) == "H"


def test_floor_and_ceil_div_match_integers():
    for n in (1, 2, 7, 224, 225):
        assert floor_div(H - 1, 2).subs(H, n) == (n - 1) // 2
        assert ceil_div(H - 1, 2).subs(H, n) == -((1 - n) // 2)
    assert floor_div(7, 2) == 3 and ceil_div(7, 2) == 4


def test_product_and_is_symbolic():
    assert product((3, 4, 5)) == 60 and type(product((3, 4, 5))) is int
    assert product(()) == 1
    assert product((2, H)) == 2 * H
    assert product(iter((2, sympy.Integer(3)))) == 6 and type(product((2, sympy.Integer(3)))) is int
    assert is_symbolic(H + 1) and is_symbolic(H + 1)
    assert not is_symbolic(3) and not is_symbolic(sympy.Integer(3)) and not is_symbolic(2.5)


def test_symbolic_window_size_evaluates_to_the_numeric_one():
    for kernel, stride, padding, ceil_mode in ((7, 2, 3, False), (3, 2, 1, False), (3, 2, 0, True),
                                               (2, 2, 0, False), (3, 2, 1, True)):
        res = window_output_size(H, kernel, stride, padding, 1, ceil_mode)
        again = window_output_size(H, kernel, stride, padding, 1, ceil_mode)
        assert again == res
        for n in (7, 8, 31, 224, 227):
            assert res.value.subs(H, n) == window_output_size(n, kernel, stride, padding, 1, ceil_mode).value
    assert window_output_size(H, 11, 4, 0).text == "(H - 11)/4 + 1 = floor((H - 11)/4) + 1"
