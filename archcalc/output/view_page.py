"""The page of `archcalc view`: one self-contained HTML5 document that draws a network with its figures on it.

`render_page(page)` inlines everything the page needs: the style (assets/view.css), the page data as a JSON
block, dagre (assets/dagre.min.js, @dagrejs/dagre 3.1.3 with graphlib, MIT, assets/LICENSE) and the
drawing script (assets/view.js). The layout runs in the browser, so folding and unfolding a block lays
the graph out again; nothing is fetched, nothing is installed beyond this package's data.

The page dict (output/view_data.py builds it; a model's own "depth", where given, overrides the page's):
    {"title", "color": macs|params|activation|rf|time, "depth": int|None,
     "models": [{"model", "input": "3x224x224", "batch", "dtype", "totals": {...}, "notes": [...],
                 "conventions": str, "layers": [{"name", "kind", "inputs", "output", "kernel", "params",
                 "macs", "flops", "other_ops", "activation_bytes", "rf", "arithmetic", "time_ms"}],
                 "output": name of the last layer}]}
"""

from __future__ import annotations

import html
import json
import re
from importlib.resources import files

COLORS = ("macs", "params", "activation", "rf", "time")
COLOR_NAMES = {"macs": "MACs", "params": "parameters", "activation": "activation memory",
               "rf": "receptive field", "time": "measured time"}
CONVENTIONS = ("MACs: multiply-accumulates (conv, linear, matrix products); FLOPs = 2 x MACs; other ops apart; "
               "activation memory: each layer's output once; MB = 10^6 bytes")
_MAP_COMMENT = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)  # would point devtools at a missing file


def asset(name: str) -> str:
    """The text of one file of archcalc/output/assets (package data)."""
    return (files(__package__) / "assets" / name).read_text(encoding="utf-8")


def _script(text: str) -> str:
    """Code to inline in a <script> element: its source-map comment dropped, and no '</script' inside (which
    would end the element early)."""
    text = _MAP_COMMENT.sub("", text)
    if "</script" in text.lower():
        raise ValueError("an inlined script contains '</script'")
    return text


def _data(page: dict) -> str:
    """The page data as JSON that is safe inside a <script type="application/json"> element: '<' escaped, so
    a layer named '</script>' cannot end the element."""
    text = json.dumps(page, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _check(page: dict) -> None:
    if page.get("color", "macs") not in COLORS:
        raise ValueError(f"color must be one of {', '.join(COLORS)}, not {page.get('color')!r}")
    if not page.get("models"):
        raise ValueError("a view page needs at least one model")


def render_page(page: dict) -> str:
    """One self-contained HTML5 document drawing `page` (see the module's docstring): inline style, data and
    scripts; no external URL of any kind."""
    _check(page)
    title = html.escape(page.get("title") or " vs ".join(m["model"] for m in page["models"]))
    conventions = html.escape(page["models"][0].get("conventions") or CONVENTIONS)
    options = "".join(f'<option value="{key}">{COLOR_NAMES[key]}</option>' for key in COLORS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="archcalc view">
<title>{title}</title>
<style>
{asset("view.css")}
</style>
</head>
<body>
<header id="top">
<h1>{title}</h1>
<p class="conventions">{conventions}</p>
<div class="controls">
<label>find a layer <input id="search" type="search" list="names" placeholder="layer name, then Enter"
 autocomplete="off"></label><datalist id="names"></datalist><span id="search-status" role="status"></span>
<label>colour by <select id="color">{options}</select></label>
</div>
<div id="legend"></div>
</header>
<aside id="details" aria-live="polite"><p class="hint">Click a node for its figures; click a block (double
border) to unfold it. Search a layer by name above.</p></aside>
<main id="models"></main>
<script type="application/json" id="view-data">{_data(page)}</script>
<script>
{_script(asset("dagre.min.js"))}
</script>
<script>
{_script(asset("view.js"))}
</script>
</body>
</html>
"""
