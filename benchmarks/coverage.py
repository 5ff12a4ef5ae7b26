"""How far the PyTorch importer reaches: torchvision's and timm's model lists, each model checked against torch.

Every model goes through `archcalc.pytorch.coverage.check` (parameters vs `sum(p.numel())`, MACs vs
FlopCounterMode / 2 on the meta device, output shape, and the odd-size check at 3x199x199) in a worker
process; a model that takes longer than --timeout seconds has its worker killed and is reported "timeout".
Writes reports/coverage/{torchvision,timm}.{md,json} and prints the operations that block the most models.

Run:
  .venv/bin/python benchmarks/coverage.py --torchvision
  .venv/bin/python benchmarks/coverage.py --timm --sample 400 --jobs 4
  .venv/bin/python benchmarks/coverage.py --timm --limit 20            # the first 20 names: a quick try
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "reports" / "coverage"
STATUSES = ("ok", "mismatch", "unsupported", "error", "crash", "timeout")
RESTART_EVERY = 40  # models per worker process before a fresh one (memory held by caches, leaks)


# ----------------------------------------------------------------------------------------------- the worker

def _worker() -> None:
    """Read model sources from stdin, one a line; write one JSON line per result to the original stdout."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever the models print goes to stderr, never into the protocol
    import warnings

    warnings.filterwarnings("ignore")
    from archcalc.sources.torchvision_import import import_torchvision

    import_torchvision()  # before timm, which imports torchvision
    try:
        import timm  # noqa: F401
    except ImportError:
        pass
    from dataclasses import asdict

    import traceback

    from archcalc.pytorch import coverage
    from archcalc.pytorch.coverage import Coverage, check

    out.write("ready\n")
    for line in sys.stdin:
        source = line.strip()
        if not source:
            continue
        start = time.perf_counter()
        regrad = False
        try:
            result = check(source)
            if result.status == "error" and any(GRAD_BUG in r for r in result.reasons):
                regrad = True  # the model runs on meta; FlopCounterMode's module tracker fails under no_grad
                plain = coverage.measured
                coverage.measured = _measured_with_grad
                try:
                    result = check(source)
                finally:
                    coverage.measured = plain
            result = asdict(result)
        except Exception as err:  # check() never raises for the model's own failure: this is archcalc's
            text = " ".join(str(err).split())
            frames = [f for f in traceback.extract_tb(err.__traceback__) if "/archcalc/" in f.filename]
            where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
            result = asdict(Coverage(source, "crash", reasons=[f"check() raised {type(err).__name__}: {text[:240]}{where}"],
                                     seconds=time.perf_counter() - start))
        result["input"] = list(result["input"])
        result["torch_measured_with_grad"] = regrad
        out.write(json.dumps(result, default=str) + "\n")


GRAD_BUG = "Expected gradient function to be set"


def _measured_with_grad(module, shape: tuple) -> tuple:
    """coverage.measured without torch.no_grad(): under no_grad, FlopCounterMode's module tracker raises
    "Expected gradient function to be set" when a module is called on a parameter (CaiT's class token,
    PiT); with autograd on (still the meta device) the same forward counts. Used only after that error."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from archcalc.pytorch.coverage import _first_tensor

    with FlopCounterMode(display=False) as counter:
        out = module(torch.empty((1, *shape), device="meta"))
    out = _first_tensor(out)
    return counter.get_total_flops() // 2, list(out.shape[1:]) if out is not None else None


class Worker:
    """One `coverage.py --worker` process, its stdout read by a thread into a queue."""

    def __init__(self):
        self.log = tempfile.TemporaryFile()
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1, cwd=ROOT, env=env)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.done = 0

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)  # EOF: the process ended

    def wait_line(self, timeout: float):
        """The next line, None at EOF; raises queue.Empty after `timeout` seconds."""
        return self.lines.get(timeout=timeout)

    def stderr_tail(self) -> str:
        try:
            self.log.seek(0)
            text = self.log.read().decode(errors="replace").strip().splitlines()
            return " | ".join(text[-3:])[:300]
        except Exception:
            return ""

    def close(self, kill: bool = False):
        try:
            if kill:
                self.proc.kill()
            else:
                self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
        self.log.close()


def sweep(sources: list, jobs: int, timeout: float, progress=None, started=None) -> list:
    """check() every source in `jobs` worker processes; results in the order of `sources`. progress(k, n,
    result) hears each result, started(source) each model as a worker takes it (from the workers' threads)."""
    todo: queue.Queue = queue.Queue()
    for i, s in enumerate(sources):
        todo.put((i, s))
    results: list = [None] * len(sources)
    lock = threading.Lock()
    count = [0]

    def record(i, result):
        results[i] = result
        with lock:
            count[0] += 1
            if progress:
                progress(count[0], len(sources), result)

    def slot():
        worker = None
        while True:
            try:
                i, source = todo.get_nowait()
            except queue.Empty:
                break
            if worker is None or worker.done >= RESTART_EVERY:
                if worker is not None:
                    worker.close()
                worker = Worker()
                try:
                    ready = worker.wait_line(180)
                except queue.Empty:
                    ready = None
                if ready is None or ready.strip() != "ready":
                    tail = worker.stderr_tail()
                    worker.close(kill=True)
                    raise SystemExit(f"the coverage worker did not start: {tail}")
            if started:
                started(source)
            worker.proc.stdin.write(source + "\n")
            worker.proc.stdin.flush()
            start = time.perf_counter()
            try:
                line = worker.wait_line(timeout)
            except queue.Empty:
                worker.close(kill=True)
                worker = None
                record(i, {"model": source, "status": "timeout", "reasons": [f"no verdict within {timeout:g} s"],
                           "seconds": time.perf_counter() - start})
                continue
            if line is None:  # the worker died (a segfault, the OOM killer)
                tail = worker.stderr_tail()
                code = worker.proc.poll()
                worker.close(kill=True)
                worker = None
                record(i, {"model": source, "status": "crash",
                           "reasons": [f"the worker process died (exit {code}): {tail}"],
                           "seconds": time.perf_counter() - start})
                continue
            worker.done += 1
            record(i, json.loads(line))
        if worker is not None:
            worker.close()

    threads = [threading.Thread(target=slot) for _ in range(max(1, min(jobs, len(sources))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# ------------------------------------------------------------------------------------------- model lists

def torchvision_sources() -> list:
    sys.path.insert(0, str(ROOT))
    from archcalc.sources.torchvision_import import import_torchvision

    tv = import_torchvision()
    names = tv.models.list_models(module=tv.models)
    # The segmentation builders default to ImageNet weights for their backbone (weights_backbone), which
    # archcalc's loader does not turn off (it passes weights=None only): without it they try to download.
    segmentation = [n for n in tv.models.list_models(module=tv.models.segmentation) if n not in names]
    return ["torchvision:" + n for n in names] + [f"torchvision:{n}?weights_backbone=none" for n in segmentation]


def timm_sources() -> list:
    sys.path.insert(0, str(ROOT))
    from archcalc.sources.torchvision_import import import_torchvision

    import_torchvision()
    import timm

    return ["timm:" + n for n in timm.list_models()]


def sample(sources: list, n: int) -> list:
    """A deterministic sample of n sources spread over the (alphabetical, hence by family) list: every k-th."""
    if n <= 0 or n >= len(sources):
        return list(sources)
    step = len(sources) / n
    return [sources[int(i * step)] for i in range(n)]


# ------------------------------------------------------------------------------------------------ analysis

_OP = re.compile(r"unsupported operation (?P<op>.+?), first at node '[^']*' \((?P<n>\d+) times?\)")


def blockers(result: dict) -> list:
    """The short names of what keeps a model from being imported: the unsupported operations, or the kind
    of failure (fx cannot trace it, several inputs, ...)."""
    if result.get("status") != "unsupported":
        return []
    found = []
    for reason in result.get("reasons") or []:
        m = _OP.search(reason)
        if m:
            found.append(m["op"])
        elif "torch.fx cannot trace" in reason:
            kind = re.search(r"torch\.fx cannot trace the model \((\w+)", reason)
            found.append(f"[torch.fx cannot trace: {kind[1] if kind else '?'}]")
        elif "forward takes more than one input" in reason:
            found.append("[forward takes more than one input]")
        elif "output is not a tensor" in reason:
            found.append("[output not a tensor archcalc could follow]")
        elif "module.parameters()" in reason and "layers hold" in reason:
            found.append("[parameters do not add up]")
        else:
            text = re.sub(r"^\S+: ", "", reason)
            text = re.sub(r"'[^']*'", "'…'", text)
            text = re.sub(r"\d[\d,]*", "N", text)
            found.append("[" + text[:80] + "]")
    return list(dict.fromkeys(found))


def top_blockers(results: list, n: int = 30) -> list:
    """[(operation, models blocked, models blocked by it alone, example models)], most models first."""
    blocked: dict = {}
    alone: Counter = Counter()
    for r in results:
        ops = blockers(r)
        for op in ops:
            blocked.setdefault(op, []).append(r["model"])
        if len(ops) == 1:
            alone[ops[0]] += 1
    rows = sorted(blocked.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:n]
    return [(op, len(models), alone[op], models) for op, models in rows]


def totals(results: list) -> dict:
    counts = Counter(r["status"] for r in results)
    out = {s: counts.get(s, 0) for s in STATUSES}
    built = out["ok"] + out["mismatch"] + out["unsupported"] + out["crash"]
    out["total"] = len(results)
    out["built"] = built
    out["ok_pct_of_built"] = round(100 * out["ok"] / built, 1) if built else None
    return out


# ------------------------------------------------------------------------------------------------- writing

def _num(v) -> str:
    return f"{v:,}" if isinstance(v, int) else ("" if v is None else str(v))


def _pair(a, b) -> str:
    if a is None and b is None:
        return ""
    if a == b:
        return _num(a)
    return f"**{_num(a)}** vs {_num(b)}" if a is not None else f"— vs {_num(b)}"


def _short(reason: str, model: str, width: int = 140) -> str:
    text = " ".join(str(reason).split())
    if text.startswith(model + ": "):
        text = text[len(model) + 2:]
    text = text.replace("|", "\\|")
    return text if len(text) <= width else text[:width - 1] + "…"


def _commit() -> str:
    """The checkout's commit, with "+ local changes" when the working tree differs from it (read-only git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "archcalc"],
                               capture_output=True, text=True, cwd=ROOT).stdout.strip()
        return head + (" + local changes in archcalc/" if dirty else "")
    except Exception:
        return "unknown"


def _versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("torch", "torchvision", "timm"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def write(name: str, results: list, meta: dict, out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    tot = totals(results)
    top = top_blockers(results, 30)
    data = {**meta, "totals": tot,
            "top_unsupported": [{"operation": op, "models": n, "alone": a, "examples": ms[:10]}
                                for op, n, a, ms in top],
            "results": results}
    (out_dir / f"{name}.json").write_text(json.dumps(data, indent=1, default=str) + "\n")

    lines = [f"# archcalc's PyTorch importer against {name}", "",
             f"Generated by `{meta['command']}` on {meta['date']}, archcalc at commit {meta.get('commit')} ({', '.join(f'{k} {v}' for k, v in meta['versions'].items())}); "
             "do not edit by hand.", ""]
    if meta.get("note"):
        lines += [f"**{meta['note']}**", ""]
    lines += ["Each model goes through `archcalc.pytorch.coverage.check`: archcalc's parameters against "
              "`sum(p.numel() for p in model.parameters())`, its MACs against `FlopCounterMode` total / 2 and its "
              "output shape against the module's (all on the meta device, weights=None / pretrained=False), at the "
              "model's default input, then MACs and shape again at 3x199x199 (the odd-size check). "
              f"A model without a verdict within {meta['timeout']:g} s is a timeout.", "",
              "## Totals", "",
              "| ok | mismatch | unsupported | error | crash | timeout | total | ok % of those that build |",
              "|---|---|---|---|---|---|---|---|",
              f"| {tot['ok']} | {tot['mismatch']} | {tot['unsupported']} | {tot['error']} | {tot['crash']} | "
              f"{tot['timeout']} | {tot['total']} | {tot['ok_pct_of_built']} % of {tot['built']} |", "",
              "- ok: parameters, MACs and output shape equal torch's, at the default input and at 3x199x199 (or torch "
              "itself refuses 3x199x199).",
              "- mismatch: the import succeeds but a figure differs from torch's (or archcalc refuses the odd size "
              "that torch runs): a bug to fix.",
              "- unsupported: the importer refuses the model, naming why. error: the model itself does not build, "
              "or does not run on the meta device (not the importer's verdict). crash: check() raised an exception "
              "that is not an ArchcalcError (an archcalc bug). timeout: no verdict in time.",
              "- \"build\" = ok + mismatch + unsupported + crash (the model builds and runs in torch).", ""]
    lines += [f"## The {len(top)} operations that block the most models", "",
              "| # | operation | models blocked | blocked by it alone | examples |", "|---|---|---|---|---|"]
    for k, (op, n, a, ms) in enumerate(top, 1):
        ex = ", ".join(m.split(":", 1)[1] for m in ms[:5]) + (", …" if len(ms) > 5 else "")
        lines.append(f"| {k} | `{op}` | {n} | {a} | {ex} |")
    crashes: dict = {}
    for r in results:
        if r["status"] == "crash":
            key = re.sub(r"^check\(\) raised ", "", (r.get("reasons") or ["?"])[0])
            crashes.setdefault(key, []).append(r["model"].split(":", 1)[1])
    lines += ["", f"## Crashes: check() raised a non-ArchcalcError ({tot['crash']} models, archcalc bugs)", ""]
    if not crashes:
        lines.append("None.")
    for key, models in sorted(crashes.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"- {len(models)}: `{key}`: {', '.join(models)}")
    regrad = [r["model"].split(":", 1)[1] for r in results if r.get("torch_measured_with_grad")]
    if regrad:
        lines += ["", f"## Measured by torch with autograd on ({len(regrad)} models)", "",
                  "For these, `coverage.check` reported \"error: torch on meta: AssertionError: Expected gradient "
                  "function to be set\"; the models do run on the meta device: it is FlopCounterMode's module tracker "
                  "that fails under `torch.no_grad()` when a module is called on a parameter (a class token). The "
                  "sweep re-ran check() with FlopCounterMode outside no_grad (still on meta) and reports that verdict: "
                  + ", ".join(regrad) + "."]
    mism = [r for r in results if r["status"] == "mismatch"]
    lines += ["", f"## Mismatches ({len(mism)})", ""]
    if not mism:
        lines.append("None.")
    for r in mism:
        lines.append(f"- `{r['model']}` at {'x'.join(map(str, r.get('input') or []))}: params {_pair(r['params'], r['torch_params'])}, "
                     f"MACs {_pair(r['macs'], r['torch_macs'])}, shape {_pair(r['shape'], r['torch_shape'])}; "
                     f"odd size: {r.get('odd')}")
    lines += ["", "## Every model", "",
              "Figures: archcalc, and torch's where they differ (**archcalc** vs torch).", "",
              "| model | status | input | params | MACs | odd size | reasons | s |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        model = r["model"]
        reasons = "<br>".join(_short(x, model) for x in (r.get("reasons") or []))
        if r.get("torch_measured_with_grad"):
            reasons = (reasons + "<br>" if reasons else "") + "torch measured with autograd on (see above)"
        shape_note = "" if r.get("shape") == r.get("torch_shape") or r.get("shape") is None else \
            f"<br>shape **{r['shape']}** vs {r['torch_shape']}"
        macs = _pair(r.get("macs"), r.get("torch_macs")) if r.get("macs") is not None else \
            (f"— (torch {_num(r.get('torch_macs'))})" if r.get("torch_macs") is not None else "")
        params = _pair(r.get("params"), r.get("torch_params")) if r.get("params") is not None else \
            (f"— (torch {_num(r.get('torch_params'))})" if r.get("torch_params") is not None else "")
        lines.append(f"| {model.split(':', 1)[1]} | {r['status']} | {'x'.join(map(str, r.get('input') or []))} | "
                     f"{params} | {macs}{shape_note} | {_short(r.get('odd') or '', model, 90)} | {reasons} | "
                     f"{r.get('seconds', 0):.1f} |")
    (out_dir / f"{name}.md").write_text("\n".join(lines) + "\n")
    return tot


def print_top(title: str, results: list, n: int = 30) -> None:
    top = top_blockers(results, n)
    print(f"\n{title}: the top {len(top)} unsupported operations (models blocked; by it alone)")
    for k, (op, count, alone, models) in enumerate(top, 1):
        ex = ", ".join(m.split(":", 1)[1] for m in models[:4]) + (", ..." if len(models) > 4 else "")
        print(f"{k:3d}. {op[:70]:70s} {count:5d} {alone:5d}   {ex}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torchvision", action="store_true", help="sweep torchvision's models (+ segmentation)")
    parser.add_argument("--timm", action="store_true", help="sweep timm.list_models()")
    parser.add_argument("--limit", type=int, default=0, help="only the first N models of each list")
    parser.add_argument("--sample", type=int, nargs="?", const=300, default=0,
                        help="a deterministic sample of N models (default 300) spread over each list: every k-th")
    parser.add_argument("--jobs", type=int, default=4, help="worker processes in parallel (default 4)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per model before 'timeout' (default 60)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default reports/coverage)")
    parser.add_argument("--recheck", default="",
                        help="re-run only the models whose status in the existing report is one of these "
                             "(comma-separated, e.g. crash,timeout) and merge them in: after a transient failure")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT))
        return _worker()
    if not (args.torchvision or args.timm):
        parser.error("give --torchvision and/or --timm")
    sys.path.insert(0, str(ROOT))
    from archcalc.output.model_progress import on_terminal, steps

    # a line per model, for a log, unless the terminal shows the bar instead
    log_lines = not (on_terminal() and sys.stdout.isatty())
    everything = []
    for name, lister in (("torchvision", torchvision_sources), ("timm", timm_sources)):
        if not getattr(args, name):
            continue
        full = lister()
        sources, note = full, ""
        if args.sample:
            sources = sample(full, args.sample)
            note = (f"A deterministic sample: {len(sources)} of the {len(full)} models of the list (every "
                    f"{len(full) / len(sources):.2f}-th name, alphabetically, so every family is represented), "
                    "not the whole list.")
        if name == "torchvision":
            note = (note + " " if note else "") + (
                "The segmentation models are checked as NAME?weights_backbone=none: archcalc's loader passes "
                "weights=None only, and their builders then default to downloading ImageNet backbone weights "
                "(an error without a network).")
        if args.limit:
            sources = sources[:args.limit]
            note = (note + " " if note else "") + f"Only the first {len(sources)} (--limit) of {len(full)} models."
        previous = None
        if args.recheck:
            previous = json.loads((args.out / f"{name}.json").read_text())
            wanted = set(args.recheck.split(","))
            sources = [r["model"] for r in previous["results"] if r["status"] in wanted]
        print(f"{name}: {len(sources)} models, {args.jobs} jobs, timeout {args.timeout:g} s", flush=True)
        start = time.time()
        commit = _commit()  # at the start: others may commit while the sweep runs

        running: dict = {}  # the models in the workers now, for the bar

        with steps(len(sources)) as bar:  # a bar on stderr where it is a terminal; nothing elsewhere
            def show(done=None):
                bar.now(f"{name}: " + (", ".join(m.split(":", 1)[1] for m in list(running)) or "starting"), done)

            def started(source):
                running[source] = True
                show()

            def progress(k, n, r):
                running.pop(r["model"], None)
                show(k)
                if log_lines:
                    print(f"[{k:4d}/{n}] {r['status']:11s} {r['seconds']:6.1f}s  {r['model']}", flush=True)

            show()
            results = sweep(sources, args.jobs, args.timeout, progress, started)
        if previous is not None:  # merge the re-checked models into the earlier report, keeping its header
            fresh = {r["model"]: r for r in results}
            results = [fresh.get(r["model"], r) for r in previous["results"]]
            note = previous.get("note", "")
            note = (note + " " if note else "") + (f"{len(fresh)} models ({args.recheck}) re-checked with --recheck "
                                                   f"at commit {_commit()}.")
            print(f"re-checked {len(fresh)}: " + ", ".join(f"{s} {sum(r['status'] == s for r in fresh.values())}"
                                                         for s in STATUSES))
        command = "python benchmarks/coverage.py --" + name + \
            (f" --sample {args.sample}" if args.sample else "") + (f" --limit {args.limit}" if args.limit else "") + \
            f" --jobs {args.jobs} --timeout {args.timeout:g}"
        meta = {"list": name, "command": command, "date": datetime.date.today().isoformat(), "commit": commit,
                "versions": _versions(), "models_in_list": len(full), "models_checked": len(results),
                "note": note, "timeout": args.timeout, "jobs": args.jobs,
                "wall_seconds": round(time.time() - start, 1)}
        if previous is not None:
            meta.update({k: previous[k] for k in ("command", "date", "commit", "jobs", "timeout") if k in previous})
            meta["wall_seconds"] = previous.get("wall_seconds", 0) + meta["wall_seconds"]
        tot = write(name, results, meta, args.out)
        print(f"\n{name}: " + ", ".join(f"{s} {tot[s]}" for s in STATUSES) +
              f"; ok {tot['ok_pct_of_built']} % of {tot['built']} that build; {meta['wall_seconds']} s; "
              f"wrote {args.out / (name + '.md')} and .json")
        print_top(name, results)
        everything += results
    if args.torchvision and args.timm:
        print_top("all models", everything)


if __name__ == "__main__":
    main()
