"""archcalc.output.numbers: the one formatter family; expected texts written from the arithmetic."""

from __future__ import annotations

import sympy

from archcalc.core.receptive import RF, global_rf
from archcalc.output import numbers as n


def test_si_powers_of_1000():
    assert n.si(138_357_544) == "138.36M"
    assert n.si(15_470_264_320) == "15.47G"
    assert n.si(999) == "999" and n.si(1_000, "B") == "1.00KB" and n.si(0.5) == "0.5"
    assert n.si(sympy.Symbol("H") * 3) == "3*H"


def test_exact_and_megabytes():
    assert n.exact(1234567) == "1,234,567"
    assert n.exact(sympy.Integer(12)) == "12"  # a sympy number is a number
    assert n.megabytes(2 * 10**6 + 5 * 10**3) == "2.00" and n.megabytes(1234 * 10**6) == "1,234.00"


def test_fixed_widens_small_values_to_two_significant_digits():
    assert n.fixed(61.10084) == "61.10"
    assert n.fixed(0.0617) == "0.062"  # below 10^-1 two decimals would show one digit
    assert n.fixed(0.0004321) == "0.00043"
    assert n.fixed(1234.5, 1) == "1,234.5"
    assert n.fixed(0.25, 1, widen=False) == "0.2" and n.fixed(0) == "0.00"


def test_optional_short_axes_ratio():
    assert n.optional(None, ".3f") == "-" and n.optional(1.23456, ".3f") == "1.235"
    assert n.short(None) == "-" and n.short(7.0) == "7" and n.short(1 / 3) == "0.3333" and n.short(5) == "5"
    assert n.axes((7, 7)) == "7" and n.axes((7, 5)) == "7x5" and n.axes((3.5, 3.5)) == "3.5"
    assert n.ratio(6 / 9) == "0.667x" and n.ratio(sympy.Symbol("C")) == "C"


def test_field_and_figure():
    assert n.field(None) == "" and n.field(global_rf(2, (32, 32))) == "global"
    assert n.field(RF((11, 11), (4, 4), (5.5, 5.5))) == "11" and n.field(RF((7, 5), (1, 1), (3.5, 2.5))) == "7x5"
    assert n.figure(61_100_840) == "61,100,840" and n.figure([3, 224, 224]) == "3x224x224"
    assert n.figure(None) == "-" and n.figure("exact") == "exact"


def test_in_unit_follows_the_quoted_figure():
    assert n.in_unit(12.0, "x") == "12.00x"
    assert n.in_unit(61_049_952, "bytes") == "61.05 MB"
    assert n.in_unit(138_357_544, "params") == "138.36M" and n.in_unit(34_848, "params") == "34,848"
    assert n.in_unit(2.5, "layers") == "2.50" and n.in_unit(152.0, "layers") == "152"
