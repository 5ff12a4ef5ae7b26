"""Regenerate reports/: the comparison of the lecture's architectures (or of any models) as Markdown, CSV,
JSON and plots.

One command writes it all: `archcalc report reports/` (or `archcalc report MODEL... --out DIR`). The tables are the exact output of `archcalc compare`
(run in-process), the plots those of `archcalc plot`. Output is deterministic (no timestamps, fixed SVG
ids), so a re-run on an unchanged tree changes nothing. reports/verify/ and reports/bench/ belong to other
commands and are never touched; a bench JSON found under reports/bench/ (a CUDA one first) adds forward
times to the tables, at its largest float32 batch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..errors import ArchcalcError
from ..output.files import write_atomic
from .embed import capture

# the lecture note's architectures, in its order; the classic ones always exist, the later ones are used
# when the zoo has them
CLASSIC = ("lenet5", "alexnet", "zfnet", "vgg16", "googlenet", "resnet152")
LATER = ("nin", "wide_resnet50_2", "resnext50_32x4d", "densenet121", "squeezenet1_0")
MEMORY_MODEL = "vgg16"  # the lecture's "early layers use memory, late layers hold parameters" is about VGG
FOREIGN = ("verify", "bench")  # sub-folders other commands own
VIEWS = ("alexnet", "vgg16", "googlenet", "resnet152")  # the lecture's four networks, drawn (archcalc view)
SIDE_BY_SIDE = ("alexnet", "vgg16", "googlenet")  # the lecture's comparison, on one page and one colour scale


class ReportError(ArchcalcError):
    """reports/ cannot be written, or a command behind it failed."""


def lecture_architectures() -> list:
    """The lecture note's architectures present in the zoo: the classic ones, the later ones that exist, and an
    ImageNet-size pre-activation ResNet if there is one."""
    from ..sources import zoo

    names = zoo.names()
    present = [n for n in (*CLASSIC, *LATER) if n in names]
    preact = [e.name for e in zoo.entries() if e.name.startswith("preact") and tuple(e.input[1:]) == (224, 224)]
    return present + preact[:1]


def find_bench(folder: Path) -> Optional[Path]:
    """A bench JSON under `folder`, at any depth (a CUDA one first, then by path: h200/ before h200-run2/),
    or None."""
    found = []
    for path in folder.rglob("*.json") if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("kind") == "bench":
            found.append((data.get("device") != "cuda", path.relative_to(folder).parts, path))
    return min(found)[2] if found else None


def _cli(args: list) -> str:
    code, out, err = capture(args)
    if code != 0:
        raise ReportError(f"'archcalc {' '.join(args)}' failed: {err.strip() or f'exit code {code}'}")
    return out


def slug(model: str) -> str:
    """A model as part of a file name: a spec file by its stem, other characters than letters, digits, '-',
    '_' and '.' as '_' (torchvision:resnet50 -> torchvision_resnet50)."""
    from ..sources import is_spec_path

    name = Path(model).stem if is_spec_path(model) else model
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.") or "model"


@dataclass(frozen=True)
class Plan:
    """What a report holds: its models, the bench file and setting behind its forward times, and
    {relative file name: archcalc arguments that make it}."""

    models: tuple
    lecture: bool  # the lecture's architectures, with the lecture's conclusion table
    memory_model: str
    bench: Optional[str]  # the bench JSON's path, None without one
    bench_label: str  # where the bench JSON is, as the README names it
    device: str  # 'NVIDIA H200 (cuda)'
    bench_batch: int
    bench_dtype: str
    files: dict


def _bench(outdir: Path, bench: Optional[str]) -> tuple:
    """(path, label, device, batch, dtype) of the bench file behind the forward times (given, or found in
    outdir/bench/): float32 where measured, at the largest batch measured; Nones without one. The file is
    only glanced at here: compare reads it, and says what is wrong with it."""
    path = bench or (str(find_bench(outdir / "bench")) if find_bench(outdir / "bench") else None)
    if path is None:
        return None, "", "", 1, "float32"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        results = [(r["batch"], r["dtype"]) for r in data["results"]]
        device = f"{data.get('device_name') or 'an unnamed device'} ({data.get('device', '')})"
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ReportError(f"bench file {path}: not the JSON of 'archcalc bench --json' ({err})") from None
    dtype = "float32" if any(d == "float32" for _, d in results) or not results else sorted(d for _, d in results)[0]
    batch = max((b for b, d in results if d == dtype), default=1)
    resolved, root = Path(path).resolve(), outdir.resolve()
    label = f"{outdir.name}/{resolved.relative_to(root).as_posix()}" if resolved.is_relative_to(root) \
        else f"{Path(path).parent.name}/{Path(path).name}".lstrip("/")
    return path, label, device, batch, dtype


def plan(outdir, bench: Optional[str] = None, models=None) -> Plan:
    """The report of `models` (default: the lecture's architectures, with its conclusion table)."""
    outdir = Path(outdir)
    lecture = not models
    models = tuple(lecture_architectures() if lecture else models)
    path, label, device, batch, dtype = _bench(outdir, bench)
    extra = ["--bench", path, "--bench-batch", str(batch), "--bench-dtype", dtype] if path else []
    files = {
        "comparison.md": ["compare", *models, "--table", *extra],
        "comparison.csv": ["compare", *models, "--format", "csv", *extra],
        "comparison.json": ["compare", *models, "--format", "json", *extra],
    }
    if lecture:
        files["lecture.md"] = ["compare", "--lecture", "--table", *extra]
        files["lecture.json"] = ["compare", "--lecture", "--format", "json", *extra]
    memory = MEMORY_MODEL if lecture else models[0]
    # LeNet's 0.4 MMACs on 32x32 digits would be invisible beside the ImageNet networks
    macs = [m for m in models if m != "lenet5"] if lecture else list(models)
    plotted = lecture or _any_top1(models)  # the accuracy plot needs a top-1 to draw
    for suffix in (".png", ".svg"):
        if plotted:
            files[f"accuracy_vs_macs{suffix}"] = ["plot", "accuracy", *models, "--out"]
        files[f"memory_vs_params_{slug(memory)}{suffix}"] = ["plot", "memory", memory, "--out"]
        files[f"macs_by_kind{suffix}"] = ["plot", "macs", *macs, "--out"]
        files[f"memory_timeline_{slug(memory)}{suffix}"] = ["plot", "memory-timeline", memory, "--batch", "64",
                                                          "--budget", "8GB", "--out"]
    if lecture:
        files.update(_views(models))
    return Plan(models, lecture, memory, path, label, device, batch, dtype, files)


def _views(models) -> dict:
    """{page name: view arguments}: one page per lecture network, one of the lecture's comparison."""
    files = {f"view_{slug(m)}.html": ["view", m, "--out"] for m in VIEWS if m in models}
    side = [m for m in SIDE_BY_SIDE if m in models]
    if len(side) > 1:
        files[f"view_{'_'.join(slug(m) for m in side)}.html"] = ["view", *side, "--out"]
    return files


def _any_top1(models) -> bool:
    """Whether some model has a top-1 to plot (asked of compare, which knows the published ones)."""
    doc = json.loads(_cli(["compare", *models, "--columns", "top1", "--format", "json"]))
    return any(m["top1"] is not None for m in doc["models"])


def _cmd(plan: Plan, name: str) -> str:
    """The command that writes `name`, as the README shows it: the bench file by its label, no --out."""
    args = plan.files[name]
    shown = [plan.bench_label if i and args[i - 1] == "--bench" else a for i, a in enumerate(args)]
    return "archcalc " + " ".join(a for a in shown if a != "--out")


def _plots(plan: Plan) -> list:
    """The README's plot section: each plot with the command that draws it."""
    def plot(name, text, alt):
        return [f"{text} (`{_cmd(plan, name + '.png')} --out {name}.png`):", "", f"![{alt}]({name}.png)", ""]

    m, s = plan.memory_model, slug(plan.memory_model)
    lines = ["## Plots", ""]
    if "accuracy_vs_macs.png" in plan.files:
        lines += plot("accuracy_vs_macs", "Accuracy against compute", "accuracy against GMACs")
    lines += plot(f"memory_vs_params_{s}", f"Where {m}'s memory is", f"memory per layer of {m}")
    lines += plot("macs_by_kind", "MACs by layer kind", "MACs by layer kind")
    lines += plot(f"memory_timeline_{s}", f"Memory along one training step of {m} at batch 64",
                  f"memory along a training step of {m}")
    return lines + ["Each plot is also an SVG of the same name.", ""]


def _view_lines(plan: Plan) -> list:
    """The README's view section: each page with the command that writes it."""
    pages = [name for name in plan.files if name.startswith("view_") and name.endswith(".html")]
    if not pages:
        return []
    lines = ["## Views", "", "Each network drawn, its figures on it, coloured by MACs: one self-contained HTML file "
             "each (open it in a browser; click a node for its row, search a layer by name):", ""]
    for name in pages:
        models = plan.files[name][1:-1]
        what = f"{', '.join(models[:-1])} and {models[-1]} side by side" if len(models) > 1 else models[0]
        lines.append(f"- [{what}]({name}) (`{_cmd(plan, name)} --out {name}`)")
    if plan.lecture:  # screenshots taken in headless Chromium; `report` itself needs no browser
        lines += ["", "Screenshots of the pages of resnet50 and googlenet, every layer and folded at depth 1 "
                  "(`python scripts/view_screenshots.py reports/`): [resnet50](view_resnet50.png), "
                  "[googlenet](view_googlenet.png), [resnet50 folded](view_resnet50_depth1.png), "
                  "[googlenet folded](view_googlenet_depth1.png)."]
    return [*lines, ""]


def readme(plan: Plan, tables: dict, command: str) -> str:
    """The folder's README.md: how it was made, the tables, the plots."""
    title = "the lecture's architectures," if plan.lecture else ", ".join(plan.models)
    measured = (f"Forward times (fwd ms, img/s) were measured on {plan.device} at batch {plan.bench_batch}, "
                f"{plan.bench_dtype} ({plan.bench_label}); empty for the models that file does not hold."
                if plan.bench else "No bench JSON was given: no forward times.")
    lines = [
        f"# Reports: {title} compared",
        "",
        f"Generated by `{command}`; do not edit by hand. Every figure is analytic (archcalc), except "
        "top-1 accuracy (quoted with its source) and forward time (measured, only where a bench JSON exists).",
        "",
        measured,
        "",
        f"## Comparison (`{_cmd(plan, 'comparison.md')}`)",
        "",
        tables["comparison.md"].rstrip("\n"),
        "",
        "Also as [CSV](comparison.csv) and [JSON](comparison.json) (raw figures in base units).",
        "",
    ]
    if plan.lecture:
        lines += [f"## The lecture's conclusion, with the figures behind its words (`{_cmd(plan, 'lecture.md')}`)",
                  "", tables["lecture.md"].rstrip("\n"), ""]
    return "\n".join([*lines, *_plots(plan), *_view_lines(plan)])


MARKER = ".archcalc-report"  # written into every folder `archcalc report` fills: it may fill it again


def _claim(outdir: Path, force: bool) -> None:
    """Make `outdir` ours: create it, or accept it when it is empty or was written by this command before
    (its MARKER file); a folder of someone else's files is refused unless `force`."""
    if outdir.exists() and not outdir.is_dir():
        raise ReportError(f"{outdir}: not a folder")
    if outdir.is_dir() and not (outdir / MARKER).exists() and not force:
        theirs = sorted(p.name for p in outdir.iterdir() if p.name not in FOREIGN)  # bench/, verify/: ours too
        if theirs:
            raise ReportError(f"{outdir}: the folder holds files archcalc report did not write ({', '.join(theirs[:3])}"
                              f"{', ...' if len(theirs) > 3 else ''}); give an empty or new folder, or --force "
                              "to write over them")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReportError(f"{outdir}: cannot create the folder ({err.strerror or err})") from None
    write_atomic(outdir / MARKER, "This folder was written by `archcalc report`, which may rewrite it.\n")


def write_reports(outdir="reports", bench: Optional[str] = None, force: bool = False, models=None,
                  progress: Optional[Callable] = None) -> list:
    """Regenerate every file of the report under `outdir`; returns the paths written.

    `models`: the models compared (default: the lecture's architectures, with the lecture's conclusion).
    Writes only into a new or empty folder, or one this command wrote before, unless `force`.
    `progress(name, done, total)` is called before each file is made."""
    if not str(outdir).strip():
        raise ReportError("the report folder is empty text; name a folder, e.g. reports/")
    outdir = Path(outdir)
    _claim(outdir, force)
    report = plan(outdir, bench, models)
    written, tables = [], {}
    total = len(report.files) + 1
    for done, (name, args) in enumerate(report.files.items()):
        if progress:
            progress(name, done, total)
        target = outdir / name
        if args[-1] == "--out":
            _cli([*args, str(target)])
        else:
            tables[name] = _cli(args)
            write_atomic(target, tables[name])
        written.append(target)
    if progress:
        progress("README.md", total - 1, total)
    shown = f"archcalc report {outdir.name}/" if report.lecture else \
        f"archcalc report {' '.join(report.models)} --out {outdir.name}/"
    command = shown + (f" --bench {Path(bench).name}" if bench else "")
    write_atomic(outdir / "README.md", readme(report, tables, command))
    return [*written, outdir / "README.md"]
