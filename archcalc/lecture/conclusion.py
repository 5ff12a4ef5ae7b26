"""The lecture's conclusion table with the figures behind its words (`archcalc compare --lecture`).

For each network the note rates and each criterion: the note's word, the figure that criterion measures, and
the network's rank on it; then, per criterion, whether the figures order the networks as the words do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..analyses import comparison as cmp
from ..conventions import MB
from ..output.numbers import fixed
from ..output.tables import Format, Table
from .words import LECTURE_CRITERIA, LECTURE_HEADINGS, LECTURE_MODELS, LECTURE_SOURCE, LECTURE_WORDS, WORD_LEVELS

# criterion -> (what the figure is, unit, the row's value, higher is better)
LECTURE_METRICS = {
    "efficiency": ("top-1 points per million parameters", "%/M params",
                   lambda r: r["top1"] / (r["params"] / 1e6) if r["top1"] is not None else None, True),
    "memory": ("parameters + activations of one image, float32", "MB",
               lambda r: (r["param_bytes"] + r["activation_bytes"]) / MB, False),
    "parameter memory": ("parameters alone, float32", "MB", lambda r: r["param_bytes"] / MB, False),
    "compute": ("conv + linear multiply-accumulates per image", "GMACs", lambda r: r["macs"] / 1e9, False),
    "accuracy": ("ImageNet-1K top-1, torchvision V1 weights", "%", lambda r: r["top1"], True),
    "forward time": ("median forward time per batch, from the bench JSON", "ms", lambda r: r["forward_ms"], False),
}
RANK_NOTE = "rank 1 = best on that criterion: most efficient, least memory, least compute, most accurate, fastest."
# the table is words beside figures: no page or LaTeX layout has been asked of it
FORMATS = (Format.table, Format.markdown, Format.csv, Format.json)


@dataclass(frozen=True)
class LectureCell:
    """One network on one criterion: the lecture's word, the figure behind it and its rank (1 = best)."""

    network: str
    model: str
    criterion: str
    word: Optional[str]
    gloss: Optional[str]
    value: Optional[float]
    unit: str
    rank: Optional[int]

    def text(self) -> str:
        """'word (gloss) · figure unit · #rank', leaving out what does not exist."""
        parts = [f"{self.word} ({self.gloss})"] if self.word else []
        if self.value is not None:
            parts += [f"{fixed(self.value)} {self.unit}", f"#{self.rank}"]
        return " · ".join(parts)

    def to_dict(self) -> dict:
        return {"network": self.network, "model": self.model, "criterion": self.criterion, "word": self.word,
                "gloss": self.gloss, "value": self.value, "unit": self.unit, "rank": self.rank}


def ranks(values: dict, higher_is_better: bool) -> dict:
    """Rank 1 = best; equal values share a rank; a missing value gets no rank."""
    known = sorted({v for v in values.values() if v is not None}, reverse=higher_is_better)
    return {k: (1 + sum(1 for u in known if (u > v if higher_is_better else u < v)) if v is not None else None)
            for k, v in values.items()}


def lecture_rows(bench: Optional[cmp.Bench] = None, bench_batch: int = 1, bench_dtype: str = "float32") -> dict:
    """The comparison row of each network the lecture rates, keyed by the lecture's name for it."""
    return {net: cmp.model_row(m, bench=bench, bench_batch=bench_batch, bench_dtype=bench_dtype)
            for net, m in LECTURE_MODELS.items()}


def lecture_cells(rows: dict) -> list:
    """Every (network, criterion) of the lecture's conclusion, in the note's order, from lecture_rows()."""
    cells = []
    for i, criterion in enumerate(LECTURE_CRITERIA):
        _, unit, figure, higher = LECTURE_METRICS[criterion]
        values = {net: figure(row) for net, row in rows.items()}
        ranked = ranks(values, higher)
        for net, model in LECTURE_MODELS.items():
            word = LECTURE_WORDS[net][i]
            gloss = WORD_LEVELS[word][0] if word else None
            cells.append(LectureCell(net, model, criterion, word, gloss, values[net], unit, ranked[net]))
    return cells


def lecture_checks(rows: dict) -> list:
    """Per criterion, whether the figures order the networks as the lecture's words do, and where not.

    Words are levels on the criterion's own scale (low/little/poor < moderate/medium < high/much/best):
    for any two networks whose words differ, the higher word must go with the larger figure. The note
    rates only VGG's forward time ("the longest"): it must be the slowest of those measured. Memory is
    also checked on parameters alone, the figure the lecture quotes (138M against 60M).
    """
    lines = []
    for criterion in (*LECTURE_CRITERIA[:2], "parameter memory", *LECTURE_CRITERIA[2:]):
        what, unit, figure, _ = LECTURE_METRICS[criterion]
        column = LECTURE_CRITERIA.index("memory" if criterion == "parameter memory" else criterion)
        values = {net: figure(row) for net, row in rows.items()}
        words = {net: LECTURE_WORDS[net][column] for net in rows}
        if criterion == "forward time":
            if all(v is None for v in values.values()):
                lines.append("forward time: not measured (give --bench FILE from 'archcalc bench --json'); "
                             "the lecture calls VGG's the longest.")
                continue
            levels = {net: WORD_LEVELS[w][1] if w else 0 for net, w in words.items() if values[net] is not None}
        else:
            levels = {net: WORD_LEVELS[w][1] for net, w in words.items() if w and values[net] is not None}
        broken = [f"{a} ({words[a] or 'unrated'}) {fixed(values[a])} >= {b} ({words[b]}) {fixed(values[b])}"
                  for a in levels for b in levels if levels[a] < levels[b] and values[a] >= values[b]]
        verdict = "the figures agree with the words" if not broken else "the words do not hold: " + "; ".join(broken)
        lines.append(f"{criterion} ({what}, {unit}): {verdict}.")
    return lines


def conclusion_notes(rows: dict, bench: Optional[cmp.Bench], bench_batch: int, bench_dtype: str) -> list:
    """Where the words come from, what a rank means, each criterion's check, the conventions and sources."""
    notes = [f"The lecture's words are from the {LECTURE_SOURCE}. It names no depth; its own figures "
             "(138M parameters for VGG, 152 layers for ResNet) are those of vgg16 and resnet152.",
             RANK_NOTE, *lecture_checks(rows), cmp.CONVENTIONS_NOTE, *cmp.accuracy_notes(list(rows.values()))]
    if bench:
        notes.append(cmp.bench_note(bench, bench_batch, bench_dtype))
    return notes


def conclusion_table(bench: Optional[cmp.Bench] = None, bench_batch: int = 1,
                     bench_dtype: str = "float32") -> Table:
    """The conclusion as a Table: a row per network with 'word · figure · rank' per criterion; csv and json
    carry one record per cell, with the raw figure."""
    rows = lecture_rows(bench, bench_batch, bench_dtype)
    cells = lecture_cells(rows)
    notes = conclusion_notes(rows, bench, bench_batch, bench_dtype)
    records = [c.to_dict() for c in cells]
    header = ["network", "model", *(f"{LECTURE_HEADINGS[c]} {c}" for c in LECTURE_CRITERIA)]
    table = [[net, model, *(c.text() for c in cells if c.network == net)] for net, model in LECTURE_MODELS.items()]
    return Table("The lecture's conclusion, with figures (word · figure · rank)", header, table,
                 notes=[f"[dim]{n}[/]" for n in notes], paragraphs=["\n".join(f"- {n}" for n in notes)],
                 document={"schema": 1, "kind": "lecture", "cells": records, "notes": notes},
                 figures=(list(records[0]), [[r[k] for k in records[0]] for r in records]))
