"""The package's shape, checked: which stage may import which, where torch may be imported, sizes.

Data flows one way: sources -> core -> analyses -> output; torch sits to the side in pytorch/. Each module's
imports (module level and inside functions) are read with `ast` and checked against the allowed edges
below; `errors` and `conventions` are open to all. The package root (`archcalc/__init__.py`) only
re-exports: no module inside imports back from it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "archcalc"
SHARED = {"errors", "conventions", "limits"}
STAGES = ("core", "sources", "analyses", "lecture", "output", "docgen", "cli", "pytorch")
ALLOWED = {  # stage -> stages it may import (itself always)
    "core": set(),
    "sources": {"core"},
    "analyses": {"core", "sources"},
    "lecture": {"analyses", "sources", "output", "core", "pytorch"},
    "output": {"core"},
    "docgen": {"cli", "output", "sources", "lecture"},
    "cli": {"core", "sources", "analyses", "lecture", "output", "pytorch", "docgen"},
    "pytorch": {"core", "sources", "analyses"},
}
LAZY_ONLY = {("lecture", "pytorch"), ("cli", "pytorch")}  # allowed inside a function, never at module level
CLI_DOCGEN = {"archcalc.docgen"}  # the command line uses docgen's public entry points only
TORCH = {"torch", "torchvision", "fvcore", "timm", "onnx"}
LAZY_TORCH_READERS = {"archcalc.sources.torch_fx", "archcalc.sources.torch_ops", "archcalc.sources.torch_models",
                      "archcalc.sources.torch_params", "archcalc.sources.torch_constants",
                      "archcalc.sources.torch_trace",
                      "archcalc.sources.torchvision_import", "archcalc.sources.onnx_file",
                      "archcalc.sources.onnx_fold", "archcalc.sources.onnx_importer"}  # readers that import lazily


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, parts[-1] == "__init__"


def imports(name: str, path: Path, is_package: bool):
    """(imported module, module-level?, line) for every import of the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    here = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            if node.level and not node.module:  # `from . import x`: x may be a module
                for alias in node.names:
                    yield f"{target}.{alias.name}", id(node) in top, node.lineno
            else:
                yield target, id(node) in top, node.lineno


def stage(module: str):
    parts = module.split(".")
    if parts[0] != "archcalc":
        return None
    return parts[1] if len(parts) > 1 else "root"


ALL = list(modules())


@pytest.mark.parametrize("name,path,is_package", ALL, ids=[m[0] for m in ALL])
def test_imports_follow_the_pipeline(name, path, is_package):
    mine = stage(name)
    if mine in ("root", *SHARED) or name == "archcalc.__main__":
        return
    wrong = []
    for target, module_level, line in imports(name, path, is_package):
        theirs = stage(target)
        if theirs is None:
            if target.split(".")[0] in TORCH and mine != "pytorch":
                if module_level or name not in LAZY_TORCH_READERS:
                    wrong.append(f"line {line}: imports {target} (torch-family imports live in pytorch/)")
            continue
        if theirs in SHARED or theirs == mine:
            continue
        if theirs == "root":
            wrong.append(f"line {line}: imports the package root (import from the stage that defines it)")
        elif theirs not in ALLOWED[mine]:
            wrong.append(f"line {line}: {mine} may not import {theirs} ({target})")
        elif module_level and (mine, theirs) in LAZY_ONLY:
            wrong.append(f"line {line}: {mine} imports {theirs} at module level (only inside functions)")
        elif mine == "cli" and theirs == "docgen" and target not in CLI_DOCGEN:
            wrong.append(f"line {line}: the command line reaches into docgen internals ({target})")
    assert not wrong, f"{name}:\n" + "\n".join(wrong)


def test_torch_at_module_level_only_in_pytorch():
    found = [f"{name}:{line} {target}" for name, path, pkg in ALL if stage(name) != "pytorch"
             for target, module_level, line in imports(name, path, pkg)
             if module_level and target.split(".")[0] in TORCH]
    assert found == []


def test_the_top_level_holds_few_modules_and_every_stage_exists():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 6, top
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()) == \
        sorted(STAGES)


def test_no_module_over_400_lines_and_no_function_over_60():
    long = []
    for name, path, _ in ALL:
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 400:
            long.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1
                if size > 60:
                    long.append(f"{name}.{node.name}: {size} lines")
    assert long == []


def test_the_checker_sees_a_forbidden_edge(tmp_path):
    """The checker itself: a core module importing analyses, and a lazy torch import in output, are caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from ..analyses import roofline\n\ndef f():\n    import torch\n")
    found = list(imports("archcalc.core.bad", bad, False))
    assert ("archcalc.analyses", True, 1) in found
    assert ("torch", False, 4) in found
    assert "analyses" not in ALLOWED["core"]
