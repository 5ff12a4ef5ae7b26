"""Hostile ONNX files: each is one line on stderr and exit code 2, nothing in the file is run, and a file
that points outside its folder for its weights is refused before anything is read from there.

The models are made with onnx.helper (no torch): a conv whose weight lives in external data, a text file
named .onnx, a truncated model, a missing file.
"""

from __future__ import annotations

import os

import pytest

from test_inputs import one_line_error

onnx = pytest.importorskip("onnx", reason="ONNX files need the onnx package (the [onnx] or [torch] extra)")
from onnx import TensorProto, helper  # noqa: E402


def _conv_model(weight) -> "onnx.ModelProto":
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv1", kernel_shape=[3, 3])
    graph = helper.make_graph([node], "g", [x], [y], initializer=[weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _external_weight(location: str) -> "onnx.TensorProto":
    """A 4x3x3x3 float weight whose data is in an external file at `location`."""
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)
    weight.ClearField("float_data")
    weight.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(108 * 4))):
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    return weight


def test_a_small_onnx_model_is_read(tmp_path, capsys):
    from archcalc.cli import run

    path = tmp_path / "tiny.onnx"
    onnx.save(_conv_model(helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)), path)
    assert run(["summary", os.fspath(path), "--json"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["params"] == 4 * 3 * 3 * 3  # no bias
    assert report["totals"]["macs"] == 4 * 6 * 6 * 3 * 3 * 3


@pytest.mark.parametrize("location", ["../outside.bin", "/etc/passwd", "sub/../../outside.bin"])
def test_external_data_outside_the_models_folder_is_refused(tmp_path, capsys, location):
    folder = tmp_path / "models"
    folder.mkdir()
    (tmp_path / "outside.bin").write_bytes(b"\0" * 432)
    path = folder / "net.onnx"
    onnx.save(_conv_model(_external_weight(location)), path)
    one_line_error(capsys, ["summary", os.fspath(path)], "net.onnx", "outside")


def test_external_data_inside_the_folder_is_fine(tmp_path, capsys):
    from archcalc.cli import run

    (tmp_path / "weights.bin").write_bytes(b"\0" * 432)
    path = tmp_path / "net.onnx"
    onnx.save(_conv_model(_external_weight("weights.bin")), path)
    assert run(["summary", os.fspath(path), "--json"]) == 0


def test_a_text_file_named_onnx_is_one_line(tmp_path, capsys):
    path = tmp_path / "notes.onnx"
    path.write_text("these are my notes, not a model\n")
    one_line_error(capsys, ["summary", os.fspath(path)], "notes.onnx", "not an ONNX model")


def test_a_truncated_model_is_one_line(tmp_path, capsys):
    path = tmp_path / "cut.onnx"
    data = _conv_model(helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)).SerializeToString()
    path.write_bytes(data[: len(data) // 2])
    one_line_error(capsys, ["summary", os.fspath(path)], "cut.onnx")


def test_a_missing_file_is_one_line(tmp_path, capsys):
    one_line_error(capsys, ["summary", os.fspath(tmp_path / "nope.onnx")], "nope.onnx")


def test_an_empty_graph_is_one_line(tmp_path, capsys):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    graph = helper.make_graph([], "empty", [x], [x])
    path = tmp_path / "empty.onnx"
    onnx.save(helper.make_model(graph), path)
    one_line_error(capsys, ["summary", os.fspath(path)], "empty.onnx")


def test_a_pipe_named_onnx_is_refused_not_waited_on(tmp_path, capsys):
    path = tmp_path / "pipe.onnx"
    os.mkfifo(path)
    one_line_error(capsys, ["summary", os.fspath(path)], "pipe.onnx", "not a regular file")
