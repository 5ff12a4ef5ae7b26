"""A Table as a complete LaTeX document that pdflatex compiles as it is and whose table fits the page.

The document loads every package it uses (geometry, booktabs, longtable, array) in its preamble: nothing
to add by hand; it keeps the default fonts (OT1 Computer Modern, in every TeX), so no font is generated.
Rows run over pages (longtable, the header repeated on each). Width: the table's natural width is estimated
from its widest cells; the first layout that holds it is taken, from portrait at normal size to landscape
in \\scriptsize; a table wider still gets its text columns wrapped (p{...}), its numbers never split.
"""

from __future__ import annotations

import re

from .writers import plain

PACKAGES = ("geometry", "booktabs", "longtable", "array")

# characters that mean something to TeX, and the text that prints them
SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
           "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\ensuremath{<}",
           ">": r"\ensuremath{>}", "|": r"\ensuremath{|}"}
# characters beyond ASCII that notes use, as commands of the LaTeX kernel (mostly math)
UNICODE = {"·": r"\ensuremath{\cdot}", "×": r"\ensuremath{\times}", "→": r"\ensuremath{\rightarrow}",
           "←": r"\ensuremath{\leftarrow}", "≈": r"\ensuremath{\approx}", "≤": r"\ensuremath{\leq}",
           "≥": r"\ensuremath{\geq}", "µ": r"\ensuremath{\mu}", "μ": r"\ensuremath{\mu}", "—": "---", "–": "--",
           "…": r"\dots{}", "²": r"\textsuperscript{2}", "³": r"\textsuperscript{3}", "−": "-", "±": r"\ensuremath{\pm}",
           "√": r"\ensuremath{\surd}", "∞": r"\ensuremath{\infty}", "≠": r"\ensuremath{\neq}", "°": r"\ensuremath{^\circ}",
           "\u00a0": "~", "’": "'", "‘": "`", "“": "``", "”": "''"}

# the text width, in cm: letter paper (the article class's default), margins of 1.5 cm
TEXT_WIDTH_CM = {"portrait": 21.59 - 3.0, "landscape": 27.94 - 3.0}
SIZES = (("normalsize", 10.0), ("small", 9.0), ("footnotesize", 8.0), ("scriptsize", 7.0))
COLUMN_SEP_PT = 4.0  # \tabcolsep, on each side of a cell
PT_PER_CM = 28.45
BREAK_AFTER = "_./=*+-,;:)"
BREAK_PATTERN = "(?<=[" + re.escape(BREAK_AFTER) + "])| "


def escape(text, breaks: bool = False) -> str:
    """Text as LaTeX prints it: TeX's specials escaped, the notes' symbols as commands, any other character
    beyond ASCII as its code (U+2212) rather than an error; with `breaks`, a line may break after _ . / =
    and the like (a long identifier, a formula, a URL in a narrow column)."""
    out = []
    for i, ch in enumerate(str(text)):
        if ch in SPECIAL:
            out.append(SPECIAL[ch])
        elif ch in UNICODE:
            out.append(UNICODE[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append(f"U+{ord(ch):04X}")
        if breaks and ch in BREAK_AFTER and i < len(str(text)) - 1:
            out.append(r"\allowbreak{}")
    return "".join(out)


def _words(text) -> bool:
    """Whether a cell is words, which may wrap, rather than a number, which never splits."""
    from .html import value

    return value(text) is None


def _em(text) -> float:
    """The width of a text in em of Computer Modern, a little over: capitals 0.75, spaces 0.35, the rest
    0.52 (digits are 0.5), plus a tenth (a row of 'm' or '%' is wider)."""
    text = str(text)
    return 1.1 * sum(0.75 if ch.isupper() else 0.35 if ch == " " else 0.52 for ch in text)  # 10% to spare


def _widths(header, rows, least: bool = False) -> list:
    """Each column's natural width, in em: its widest cell or header; with `least`, the narrowest it can be
    (its widest unbreakable piece: a number, a word)."""
    def em(text) -> float:
        if least and _words(text):
            return max((_em(piece) for piece in re.split(BREAK_PATTERN, str(text))), default=0.0)
        return _em(text)
    widths = [em(h) for h in header]
    for row in rows:
        widths = [max(w, em(c)) for w, c in zip(widths, row)]
    return widths


def layout(header, rows, right) -> tuple:
    """(orientation, font size, column spec): the first layout in which the table fits the text width; else
    landscape in the smallest size, its widest columns wrapped (p{...}) to share the room left."""
    widths = _widths(header, rows)
    for orientation in ("portrait", "landscape"):
        for size, pt in SIZES:
            room = (TEXT_WIDTH_CM[orientation] * PT_PER_CM - len(widths) * 2 * COLUMN_SEP_PT) / pt  # em
            if sum(widths) <= room:
                return orientation, size, "".join("r" if h in right else "l" for h in header)
    least = _widths(header, rows, least=True)
    # each column keeps its narrowest; what is left goes to those that would be wider, by how much wider
    spare = max(room - sum(least), 0.0)
    excess = sum(w - m for w, m in zip(widths, least)) or 1.0
    spec = []
    for w, m, h in zip(widths, least, header):
        if w - m < 0.5:  # no piece to wrap: numbers keep their line
            spec.append("r" if h in right else "l")
            continue
        width = (m + spare * (w - m) / excess) * pt
        ragged = r"\raggedleft" if h in right else r"\raggedright"
        spec.append(f">{{{ragged}\\arraybackslash}}p{{{width:.1f}pt}}")
    return "landscape", size, "".join(spec)


def _row(cells) -> str:
    return " & ".join(escape(c, breaks=_words(c)) for c in cells) + r" \\"


def tabular(header, rows, right) -> tuple:
    """(orientation, the lines of one longtable in its font size): header repeated on every page."""
    orientation, size, spec = layout(header, rows, right)
    head = [r"\toprule", _row(header), r"\midrule"]
    lines = [f"\\begin{{{size}}}", r"\setlength{\tabcolsep}{%gpt}" % COLUMN_SEP_PT,
             f"\\begin{{longtable}}{{@{{}}{spec}@{{}}}}", *head, r"\endfirsthead", *head, r"\endhead",
             r"\bottomrule", r"\endlastfoot"]
    lines += [_row(row) for row in rows]
    return orientation, lines + [r"\end{longtable}", f"\\end{{{size}}}"]


def document(table, shown_notes) -> str:
    """The whole document: the title, each table (Table.then included), the notes as paragraphs."""
    tables = [(t.title, tabular(t.header, t.cells(), t.right)) for t in (table, *table.then)]
    landscape = any(orientation == "landscape" for _, (orientation, _) in tables)
    lines = [f"% {escape(table.title)}: a complete LaTeX document; pdflatex compiles it as it is (twice for a"
             " table over pages: longtable settles its column widths on the second run).",
             "% It loads what it uses: " + ", ".join(PACKAGES) + ".",
             r"\documentclass{article}",
             f"\\usepackage[{'landscape,' if landscape else ''}margin=1.5cm]{{geometry}}",
             r"\usepackage{booktabs}", r"\usepackage{longtable}", r"\usepackage{array}",
             r"\setlength{\parindent}{0pt}", r"\begin{document}"]
    for i, (title, (_, body)) in enumerate(tables):
        lines += [f"\\section*{{{escape(title)}}}" if i == 0 else f"\\subsection*{{{escape(title)}}}", *body]
    notes = [escape(plain(n), breaks=True) for n in shown_notes]
    if notes:
        lines += [r"\begin{small}\sloppy", *(n + "\n" for n in notes), r"\end{small}"]
    return "\n".join([*lines, r"\end{document}"]) + "\n"

