"""Screenshots of `archcalc view` pages, as PNG files, for people to look at (reports/ keeps resnet50's and
googlenet's): each model's page drawn by the system Chromium (headless, through playwright), every layer
unfolded, the whole page; and the same page folded to --depth (default 1) in one large viewport, with the
layer of the most MACs searched (its blocks unfolded, its row in the side panel).

    python scripts/view_screenshots.py OUT_DIR [--models resnet50 googlenet] [--color macs] [--depth 1]

Writes OUT_DIR/view_MODEL.png (all layers, full page) and OUT_DIR/view_MODEL_depthN.png (folded).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path



def page(models: list, color: str, depth: int) -> str:
    """The page `archcalc view MODELS --depth DEPTH` writes (0: every layer)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "view.html"
        subprocess.run([sys.executable, "-m", "archcalc", "view", *models, "--out", str(out), "--depth", str(depth),
                        "--color", color], check=True, capture_output=True)
        return out.read_text(encoding="utf-8")


def chromium() -> str:
    found = os.environ.get("ARCHCALC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        sys.exit(f"no Chromium at {found}: run sh scripts/install_test_tools.sh")
    return found


def costliest(html: str) -> str:
    """The name of the layer with the most MACs inside a block (a dotted name) in a page's data: the folded
    shot searches it, which unfolds its blocks."""
    data = html.split('id="view-data">', 1)[1].split("</script>", 1)[0]
    layers = [layer for layer in json.loads(data)["models"][0]["layers"] if "." in layer["name"]]
    return max(layers, key=lambda layer: layer["macs"] if isinstance(layer["macs"], int) else 0)["name"]


def shoot(browser, html: str, png: Path, full: bool, search: str = "", width: int = 1600, height: int = 1200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "view.html"
        path.write_text(html, encoding="utf-8")
        tab = browser.new_page(viewport={"width": width, "height": height})
        tab.route("**/*", lambda r: r.continue_() if r.request.url == path.as_uri() else r.abort())
        tab.goto(path.as_uri())
        tab.wait_for_selector("html[data-drawn]")
        if search:  # unfolds the blocks around it, marks it and fills the side panel
            tab.fill("#search", search)
            tab.press("#search", "Enter")
        if full:  # the whole page in one picture: the header in place, the (empty) side panel left out
            tab.add_style_tag(content="header#top{position:static;width:auto} aside#details{display:none} "
                                      "main#models{margin-right:0}")
        tab.screenshot(path=str(png), full_page=full)
        tab.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--models", nargs="+", default=["resnet50", "googlenet"])
    parser.add_argument("--color", default="macs")
    parser.add_argument("--depth", type=int, default=1)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        for model in args.models:
            shoot(browser, page([model], args.color, 0), args.out / f"view_{model}.png", full=True)
            folded = page([model], args.color, args.depth)
            shoot(browser, folded, args.out / f"view_{model}_depth{args.depth}.png", full=False,
                  search=costliest(folded))
            print(f"wrote {args.out}/view_{model}.png and view_{model}_depth{args.depth}.png")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
