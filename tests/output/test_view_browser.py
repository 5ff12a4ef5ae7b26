"""The `archcalc view` page in a real browser: headless Chromium (Debian's, installed by
scripts/install_test_tools.sh), driven by playwright; nothing is downloaded, by the test or by the page.

The pages are written by `archcalc view`, and a figure the page shows is held against
`archcalc summary MODEL --json`'s. Each test counts the SVG nodes, clicks them, searches, and checks that the
page asked for nothing beyond its own file.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from archcalc.cli import run
from archcalc.output.view_page import render_page

FIGURES = ("params", "macs", "flops", "other_ops", "activation_bytes")


@pytest.fixture
def open_view(browser, tmp_path):
    """Opens a view page from its HTML text and waits until the graph is drawn; every request beyond the file
    is refused and counted. Returns (page, seconds from navigation to the drawn graph)."""
    pages, fetched = [], []

    def opener(text: str):
        path = tmp_path / f"view{len(pages)}.html"
        path.write_text(text, encoding="utf-8")
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.route("**/*", lambda route: (route.continue_() if route.request.url == path.as_uri()
                                          else (fetched.append(route.request.url), route.abort())))
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_selector("html[data-drawn]", state="attached")
        seconds = time.perf_counter() - start
        assert errors == []
        pages.append(page)
        return page, seconds

    yield opener, fetched
    for page in pages:
        page.close()


def summary(capsys, model: str) -> dict:
    assert run(["summary", model, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def view(capsys, tmp_path, models: list, depth: int = 0, color: str = "macs") -> tuple:
    """(the HTML of `archcalc view MODELS --depth DEPTH`, the models' `summary --json` documents)."""
    out = tmp_path / f"{'_'.join(models)}_{depth}.html"
    assert run(["view", *models, "--out", str(out), "--depth", str(depth), "--color", color]) == 0
    capsys.readouterr()
    return out.read_text(encoding="utf-8"), [summary(capsys, m) for m in models]


def nodes(page) -> list:
    return page.eval_on_selector_all("g.node", "els => els.map(e => [e.dataset.name, e.dataset.kind])")


def details(page) -> dict:
    """The side panel's rows: field -> raw value (data-value)."""
    return page.eval_on_selector_all("#details tr[data-field]",
                                     "rows => Object.fromEntries(rows.map(r => [r.dataset.field, r.dataset.value]))")


def test_one_node_per_layer_or_per_folded_block(capsys, tmp_path, open_view):
    """resnet18: every layer a node at no depth; at depth 1, the 7 top-level layers (conv1 bn1 relu maxpool
    avgpool flatten fc) and the 4 stages as blocks: 11 nodes; at depth 2 the stages' 8 BasicBlocks replace
    the stages (a downsample layer, layer2.0.downsample.0, has 4 parts: it folds into layer2.0): 7 + 8 = 15."""
    opener, fetched = open_view
    text, (doc,) = view(capsys, tmp_path, ["resnet18"])
    page, _ = opener(text)
    assert [name for name, _ in nodes(page)] == [layer["name"] for layer in doc["layers"]]
    assert dict(nodes(page))["layer1.0.conv1"] == "conv"

    page, _ = opener(view(capsys, tmp_path, ["resnet18"], depth=1)[0])
    shown = dict(nodes(page))
    assert len(shown) == 11
    assert sorted(n for n, kind in shown.items() if kind == "block") == ["layer1", "layer2", "layer3", "layer4"]
    # layer1: two BasicBlocks of conv1 bn1 relu1 conv2 bn2 add relu2 = 14 layers
    assert "layer1 (14 layers)" in page.locator('g.node[data-name="layer1"]').text_content()

    page, _ = opener(view(capsys, tmp_path, ["resnet18"], depth=2)[0])
    shown = dict(nodes(page))
    assert len(shown) == 15
    assert sorted(n for n, kind in shown.items() if kind == "block") == [f"layer{i}.{j}" for i in range(1, 5)
                                                                          for j in (0, 1)]
    assert "layer2.0 (9 layers)" in page.locator('g.node[data-name="layer2.0"]').text_content()  # 7 + downsample 2
    assert fetched == []


def test_a_click_shows_the_figures_of_summary_json(capsys, tmp_path, open_view):
    """Clicking a node fills #details with its row: the raw figures equal `summary resnet18 --json`'s, the
    shown text has thousands separators, and a folded block shows the sums over its layers."""
    opener, fetched = open_view
    text, (doc,) = view(capsys, tmp_path, ["resnet18"])
    page, _ = opener(text)
    rows = {layer["name"]: layer for layer in doc["layers"]}
    for name in ("conv1", "layer2.0.downsample.0", "layer3.1.add", "fc"):
        page.locator(f'g.node[data-name="{name}"]').click()
        shown = details(page)
        assert {k: int(shown[k]) for k in FIGURES} == {k: rows[name][k] for k in FIGURES}, name
        assert shown.get("arithmetic", "") == rows[name]["derivation"]  # no row when the layer has none
    page.locator('g.node[data-name="conv1"]').click()
    assert details(page)["rf"] == "7" and details(page)["kernel"] == "k7 s2"  # 7x7 conv, stride 2
    macs = page.locator('#details tr[data-field="macs"] td').text_content()
    assert macs.startswith("118,013,952")  # 64 x 112 x 112 outputs x (3 x 7 x 7) = 118,013,952

    page, _ = opener(view(capsys, tmp_path, ["resnet18"], depth=1)[0])
    layer4 = [layer for layer in doc["layers"] if layer["name"].startswith("layer4.")]
    page.locator("#search").fill("layer4")  # a block found by its name, shown without unfolding it
    page.locator("#search").press("Enter")
    shown = details(page)
    assert page.locator('g.node.found').get_attribute("data-name") == "layer4"
    assert int(shown["layers"]) == len(layer4) == 16
    assert int(shown["macs"]) == sum(layer["macs"] for layer in layer4)
    assert fetched == []


def test_search_unfolds_the_block_around_a_layer(capsys, tmp_path, open_view):
    """At depth 1, searching layer3.1.conv2 unfolds layer3 (into layer3.0, still folded, and layer3.1) and then
    layer3.1: 11 - 1 + 1 + 7 = 18 nodes; the layer is marked, in view, and in #details. Folding layer3 back
    from the panel restores the 11 nodes; clicking the block layer1 unfolds it into its two BasicBlocks."""
    opener, fetched = open_view
    page, _ = opener(view(capsys, tmp_path, ["resnet18"], depth=1)[0])
    page.locator("#search").fill("layer3.1.conv2")
    page.locator("#search").press("Enter")
    found = page.locator('g.node[data-name="layer3.1.conv2"]')
    assert found.count() == 1 and "found" in found.get_attribute("class")
    assert len(nodes(page)) == 18 and dict(nodes(page))["layer3.0"] == "block"
    box, height = found.bounding_box(), page.viewport_size["height"]
    assert 0 <= box["y"] and box["y"] + box["height"] <= height  # scrolled into view
    assert details(page)["name"] == "layer3.1.conv2"

    page.locator('#details button[data-action="fold"][data-block="layer3"]').click()
    assert len(nodes(page)) == 11
    page.locator('g.node[data-name="layer1"]').click()
    assert sorted(n for n, k in nodes(page) if n.startswith("layer1")) == ["layer1.0", "layer1.1"]

    page.locator("#search").fill("no-such-layer")
    page.locator("#search").press("Enter")
    assert "no layer matches" in page.locator("#search-status").text_content()
    assert fetched == []


def test_two_models_side_by_side_on_one_scale(capsys, tmp_path, open_view):
    """alexnet and vgg16: two columns next to each other, one legend whose ends are the smallest and largest
    MACs of a layer over both models; vgg16's costliest layer takes the darkest colour, alexnet's does not."""
    opener, fetched = open_view
    text, docs = view(capsys, tmp_path, ["alexnet", "vgg16"])
    page, _ = opener(text)
    first, second = (page.locator("section.model").nth(i).bounding_box() for i in (0, 1))
    assert second["x"] >= first["x"] + first["width"] and abs(second["y"] - first["y"]) < 1
    macs = [layer["macs"] for doc in docs for layer in doc["layers"] if layer["macs"] > 0]
    legend = page.locator("#legend")
    assert (float(legend.get_attribute("data-lo")), float(legend.get_attribute("data-hi"))) == (min(macs), max(macs))

    def fill(model: int, layer: str) -> str:
        return page.locator("svg.dag").nth(model).locator(f'g.node[data-name="{layer}"] rect').first.evaluate(
            "r => getComputedStyle(r).fill")

    costliest = [max(doc["layers"], key=lambda layer: layer["macs"])["name"] for doc in docs]
    assert fill(1, costliest[1]) == "rgb(128, 0, 38)"  # the scale's top, #800026
    assert fill(0, costliest[0]) != "rgb(128, 0, 38)"
    assert fetched == []


def test_googlenet_draws_in_under_two_seconds(capsys, tmp_path, open_view):
    """googlenet, every one of its 197 layers unfolded (Inception's four branches each), opens and draws in
    under 2 s: from navigation to the drawn SVG, dagre's layout included."""
    opener, fetched = open_view
    text, (doc,) = view(capsys, tmp_path, ["googlenet"])
    page, seconds = opener(text)
    assert len(nodes(page)) == len(doc["layers"]) == 197
    concat = page.locator('g.node[data-name="inception3a.concat"]').bounding_box()
    branches = [page.locator(f'g.node[data-name="inception3a.branch{i}.conv"]').count() +
                page.locator(f'g.node[data-name="inception3a.branch{i}.0.conv"]').count() for i in (1, 2, 3)]
    assert branches == [1, 1, 1] and concat is not None
    assert seconds < 2.0, f"googlenet took {seconds:.2f} s to open and draw"
    assert fetched == []


def test_the_page_is_self_contained_and_escapes_its_data():
    """No URL of any kind in the page (no CDN, font or image), a layer named '</script>' stays data, and an
    unknown colour is refused."""
    layer = {"name": "</script><b>", "kind": "conv", "inputs": ["input"], "output": "1x1x1", "kernel": "", "params": 1,
             "macs": 1, "flops": 2, "other_ops": 0, "activation_bytes": 4, "rf": "1", "arithmetic": "", "time_ms": None}
    model = {"model": "m", "input": "1x1x1", "batch": 1, "dtype": "float32", "totals": {}, "notes": [],
             "conventions": "", "layers": [layer], "output": layer["name"]}
    text = render_page({"title": "t", "color": "macs", "depth": None, "models": [model]})
    assert re.search(r"https?:|//[\w.-]+\.(com|org|net|io)\b|\bsrc=|@import|url\((?!#)", text) is None
    assert text.lower().count("</script") == 3  # the data block, dagre, view.js: the layer's name is escaped
    with pytest.raises(ValueError):
        render_page({"title": "t", "color": "depth", "depth": None, "models": [model]})


def test_time_colours_measured_layers_and_leaves_the_rest_grey(capsys, tmp_path, open_view):
    """--color time: the scale spans the measured times (0.25 ms to 4 ms, log), a layer without a time is grey
    (#e4e4e4), and the panel shows the time; the times are put into the document `archcalc view` wrote."""
    opener, fetched = open_view
    text, _ = view(capsys, tmp_path, ["resnet18"])
    page = json.loads(re.search(r'id="view-data">(.*?)</script>', text, re.S).group(1))
    page["color"] = "time"
    times = {"conv1": 4.0, "layer1.0.conv1": 1.0, "fc": 0.25}
    for layer in page["models"][0]["layers"]:
        layer["time_ms"] = times.get(layer["name"])
    tab, _ = opener(render_page(page))
    legend = tab.locator("#legend")
    assert (float(legend.get_attribute("data-lo")), float(legend.get_attribute("data-hi"))) == (0.25, 4.0)

    def fill(layer: str) -> str:
        return tab.locator(f'g.node[data-name="{layer}"] rect').first.evaluate("r => getComputedStyle(r).fill")

    assert fill("conv1") == "rgb(128, 0, 38)" and fill("bn1") == "rgb(228, 228, 228)"
    assert fill("fc") == "rgb(255, 255, 204)"  # the scale's bottom, #ffffcc
    tab.locator('g.node[data-name="layer1.0.conv1"]').click()
    assert float(details(tab)["time_ms"]) == 1.0
    assert fetched == []
