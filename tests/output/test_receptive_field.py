"""`archcalc rf`'s analysis (archcalc.analyses.receptive_field) and its rendering (archcalc.output.receptive_field)."""

from __future__ import annotations

from types import SimpleNamespace

from archcalc.analyses.receptive_field import analyse
from archcalc.core.report import last_local_layer
from archcalc.output.receptive_field import field_lines, field_rows, field_table, measured_lines


def test_a_stack_changes_the_field_at_every_conv_and_compares_with_one_kernel():
    a = analyse("3x3x3")
    assert a.layer == a.report.layers[-1].name and not a.explicit
    convs = [s for s in a.changes() if s.kind == "conv"]
    assert [s.rf.size[0] for s in convs] == [3, 3 + 2, 3 + 2 + 2]
    assert a.comparison is not None and a.comparison.weights_per_c2 == (3 * 3 * 3, 7 * 7)
    assert a.changes(every=True) == a.layers


def test_a_model_read_past_global_pooling_reports_its_last_feature_map():
    a = analyse("vgg16")
    assert a.report.layer(a.layer).rf.is_global and a.comparison is None
    layer, stands_in = a.reported()
    assert stands_in and layer is last_local_layer(a.report.layers) and layer.name == "avgpool"
    # 5 blocks: 2, 2, 3, 3, 3 convs of 3x3 and a 2x2 pool each; the field grows by 2 x jump per conv
    jump, size = 1, 1
    for convs in (2, 2, 3, 3, 3):
        size += convs * 2 * jump
        size += jump  # the 2x2 pool, stride 2
        jump *= 2
    assert layer.rf.size == (size, size) == (212, 212)


def test_a_chosen_local_layer_is_its_own_report():
    a = analyse("vgg16", layer="features.2")
    assert a.explicit and a.layers[-1].name == "features.2" and a.reported() == (a.report.layer("features.2"), False)


def test_measurement_targets_the_last_feature_map_without_layer():
    model, layer, size = analyse("vgg16").measurement(None)
    assert (model, layer, size) == ("vgg16", "avgpool", None)
    model, layer, size = analyse("3x3x3").measurement("3xHxW")  # a symbolic input cannot run
    assert layer == analyse("3x3x3").layer and size is None and model.name == analyse("3x3x3").report.model


def test_rows_lines_and_table():
    a = analyse("conv3,pool2s2")
    rows = field_rows(a.changes())
    # unpadded: size 3 + (2 - 1) x 1; jump 1 x 2; start 0.5 + (3 - 1)/2 + (2 - 1)/2; padding 4/2 - 2
    assert rows[-1][3:] == [str(3 + 1), str(2), str(int(0.5 + 1 + 0.5)), str(4 // 2 - 2)]
    lines = field_lines(a)
    assert lines[0].startswith("[bold]receptive field[/] at ") and "4x4 pixels, jump 2" in lines[0]
    table = field_table(a)
    assert table.cells() == rows and table.json_document()["field"]["size"] == [4, 4]


def test_measured_lines_say_whether_they_agree():
    m = SimpleNamespace(source="torchvision", input=(3, 32, 32), unit=(1, 1), layer="c", agrees=False,
                        measured_size=(5, 5), measured=((0, 5), (0, 5)), analytic_size=(7, 7),
                        analytic=((-1, 6), (-1, 6)))
    lines = measured_lines(m)
    assert "pixels 0..4 x 0..4" in lines[1] and lines[2].endswith("[red]DIFFERS[/]")
