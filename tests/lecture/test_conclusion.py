"""The lecture's words (archcalc.lecture.words) and its conclusion table with figures (archcalc.lecture.conclusion)."""

from __future__ import annotations

from archcalc.conventions import MB
from archcalc.lecture import conclusion
from archcalc.lecture.conclusion import LectureCell, lecture_cells, lecture_checks, ranks
from archcalc.lecture.words import (LECTURE_ARCHITECTURES, LECTURE_CRITERIA, LECTURE_HEADINGS, LECTURE_MODELS,
                                    LECTURE_WORDS, WORD_LEVELS)
from archcalc.output.tables import Format
from archcalc.sources import zoo_names


def test_lecture_words_have_levels():
    assert set(LECTURE_WORDS) == set(LECTURE_MODELS)
    assert all(len(words) == len(LECTURE_CRITERIA) for words in LECTURE_WORDS.values())
    assert all(w is None or w in WORD_LEVELS for words in LECTURE_WORDS.values() for w in words)
    assert set(LECTURE_HEADINGS) == set(LECTURE_CRITERIA)


def test_every_architecture_of_the_note_is_in_the_zoo():
    assert set(LECTURE_ARCHITECTURES) <= set(zoo_names()) and set(LECTURE_MODELS.values()) <= set(zoo_names())


def test_ranks_share_ties_and_skip_missing():
    # dense: equal values share a rank and the next distinct value takes the next one
    assert ranks({"a": 3, "b": 1, "c": 3, "d": None}, higher_is_better=True) == {"a": 1, "b": 2, "c": 1, "d": None}
    assert ranks({"a": 3, "b": 1}, higher_is_better=False) == {"a": 2, "b": 1}


def test_cell_text_leaves_out_what_does_not_exist():
    assert LectureCell("VGGNet", "vgg16", "compute", "많다", "much", 15.47, "GMACs", 4).text() == \
        "많다 (much) · 15.47 GMACs · #4"
    assert LectureCell("AlexNet", "alexnet", "forward time", None, None, None, "ms", None).text() == ""
    assert LectureCell("A", "a", "accuracy", None, None, 0.0617, "%", 1).text() == "0.062 % · #1"


def row(params, macs, top1, param_mb, act_mb, forward_ms=None) -> dict:
    return {"params": params, "macs": macs, "top1": top1, "param_bytes": param_mb * MB,
            "activation_bytes": act_mb * MB, "forward_ms": forward_ms}


def test_checks_name_the_pairs_whose_figures_contradict_the_words():
    # the lecture: AlexNet much memory, ResNet medium; give ResNet more memory than AlexNet
    rows = {"AlexNet": row(61e6, 0.7e9, 56.5, 244, 2), "VGGNet": row(138e6, 15.5e9, 71.6, 553, 60),
            "GoogLeNet": row(6.6e6, 1.5e9, 69.8, 26, 36), "ResNet": row(60e6, 11.5e9, 78.3, 240, 300)}
    checks = {line.split(" (")[0]: line for line in lecture_checks(rows)}
    assert checks["memory"].endswith("the words do not hold: ResNet (중간) 540.00 >= AlexNet (많다) 246.00.")
    assert checks["parameter memory"].endswith("the figures agree with the words.")
    assert checks["forward time: not measured"].startswith("forward time: not measured")


def test_cells_follow_the_notes_order():
    rows = {net: row(1e6 * (i + 1), 1e9, 50 + i, 4, 1) for i, net in enumerate(LECTURE_MODELS)}
    cells = lecture_cells(rows)
    assert [(c.criterion, c.network) for c in cells[:len(LECTURE_MODELS)]] == \
        [("efficiency", net) for net in LECTURE_MODELS]
    assert len(cells) == len(LECTURE_MODELS) * len(LECTURE_CRITERIA)


def test_the_conclusion_table_offers_no_page_or_latex():
    assert Format.html not in conclusion.FORMATS and Format.latex not in conclusion.FORMATS
    table = conclusion.conclusion_table()
    assert [r[1] for r in table.cells()] == list(LECTURE_MODELS.values())
    header, records = table.figures
    assert header == ["network", "model", "criterion", "word", "gloss", "value", "unit", "rank"]
    assert len(records) == len(LECTURE_MODELS) * len(LECTURE_CRITERIA)
    assert table.json_document()["notes"] == [n.removeprefix("[dim]").removesuffix("[/]") for n in table.lines()]
