"""How fast an `archcalc view` page opens and draws in headless Chromium (the system browser, through playwright).

For each model: the page with every layer unfolded is opened from a file; "open" is the wall time from
navigation to the drawn graph (the page sets html[data-drawn] after dagre's layout and the SVG), "in page"
the page's own performance.now() at that moment (from navigation start), "relayout" one more layout and
draw of the whole graph (what a fold or an unfold costs), and "unfold" a click on a folded block of the
--depth 1 page (layout of the unfolded graph included). Median of --repeat runs.

    python benchmarks/view_speed.py [--models googlenet resnet50 densenet201] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path



def write_view(model: str, out: Path, depth: int) -> None:
    """`archcalc view MODEL --depth DEPTH --out OUT` (0: every layer)."""
    subprocess.run([sys.executable, "-m", "archcalc", "view", model, "--out", str(out), "--depth", str(depth)],
                   check=True, capture_output=True)


def chromium() -> str:
    found = os.environ.get("ARCHCALC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        sys.exit(f"no Chromium at {found}: run sh scripts/install_test_tools.sh")
    return found


def open_page(browser, path: Path):
    tab = browser.new_page(viewport={"width": 1600, "height": 1000})
    tab.route("**/*", lambda r: r.continue_() if r.request.url == path.as_uri() else r.abort())
    start = time.perf_counter()
    tab.goto(path.as_uri())
    tab.wait_for_selector("html[data-drawn]", state="attached")
    return tab, time.perf_counter() - start


def measure(browser, model: str, tmp: Path) -> dict:
    full, folded = tmp / f"{model}.html", tmp / f"{model}_depth1.html"
    write_view(model, full, 0)
    write_view(model, folded, 1)
    tab, wall = open_page(browser, full)
    figures = {"open_s": wall, "in_page_ms": tab.evaluate("window.archcalcView.drawnMs"),
               "relayout_ms": tab.evaluate("window.archcalcView.redraw(0)"),
               "nodes": tab.locator("g.node").count(), "html_kb": full.stat().st_size / 1000}
    tab.close()
    tab, _ = open_page(browser, folded)
    block, before = tab.locator("g.node.block").first, tab.locator("g.node").count()
    start = time.perf_counter()
    block.click()  # the click's handler lays the graph out again and draws it before the click returns
    tab.wait_for_function(f"document.querySelectorAll('g.node').length > {before}")
    figures["unfold_s"] = time.perf_counter() - start
    tab.close()
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["googlenet", "resnet50", "densenet201"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    print(f"{'model':<14}{'nodes':>7}{'page KB':>9}{'open s':>8}{'in page ms':>12}"
          f"{'relayout ms':>13}{'unfold s':>10}")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        for model in args.models:
            runs = [measure(browser, model, Path(tmp)) for _ in range(args.repeat)]
            med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            print(f"{model:<14}{med['nodes']:>7.0f}{med['html_kb']:>9.0f}{med['open_s']:>8.2f}"
                  f"{med['in_page_ms']:>12.0f}{med['relayout_ms']:>13.0f}{med['unfold_s']:>10.2f}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
