"""The import direction of src/medtune (docs/architecture.md), checked by walking every import.

What counts as an import: every ``import`` / ``from ... import`` statement in a module, at
module level AND inside functions, and those under ``if TYPE_CHECKING:``. A lazy import only
defers loading (so ``medtune --help`` stays fast); the code still depends on what it imports,
so it counts like any other. ``from pkg import name`` is an import of ``pkg.name`` when that is a
module, else of ``pkg``. Strings (``importlib.import_module`` of the built-in tasks) are not
imports of a module: a registry is allowed to load its plug-ins.

Checked: (1) each package imports only its own layer and the layers below; (2) no cycle
between packages, nor between files; (3) report/ and grading/ never import train/, models/ or
the judges' backends (rebuilding a report must never be able to load a model).

``REMAINING`` lists what is still wrong today, by name. The test fails when something new goes
wrong AND when one of those is fixed (delete it from the list then), so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# bottom (0) to top; a package may import its own layer and lower ones
LAYERS = {
    "medtune": 0, "errors": 0, "files": 0, "strict_yaml": 0, "variants": 0, "stats": 0,
    "data": 1,
    "tasks": 2,
    "models": 3, "train": 3, "evaluate": 3, "judges": 3,
    "config": 4, "store": 4,
    "study": 5,
    "report": 6, "grading": 6, "export": 6,
    "runner": 7,  # runs the stages of study/, then writes the report
    "cli": 8,
    "__main__": 9,
}
READERS = ("report", "grading")  # they read stored results, never run a model
NEVER_FOR_READERS = ("medtune.train", "medtune.models", "medtune.judges.backends",
                     "medtune.judges.jury", "medtune.judges.stage", "medtune.judges.structured")

# Still wrong today (issue 16's closing note names them); delete a line when it is fixed.
REMAINING: set[str] = set()


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "medtune").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(mods: dict[str, Path]) -> set[tuple[str, str]]:
    """(importer, imported) pairs of medtune modules, at any depth of the importer's code."""
    edges = set()
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in mods:  # medtune.x.y.Name -> medtune.x.y
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add((name, target))
    return edges


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan's algorithm)."""
    succ: dict[str, set[str]] = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)
        succ.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(succ[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return found


def problems() -> set[str]:
    mods = modules()
    edges = imports(mods)
    short = lambda m: m.removeprefix("medtune.")  # noqa: E731
    out = set()
    unplaced = {package(m) for m in mods} - set(LAYERS)
    assert not unplaced, f"put the new package(s) {sorted(unplaced)} in a layer of LAYERS (docs/architecture.md)"
    between = {(package(a), package(b)) for a, b in edges if package(a) != package(b)}
    out |= {f"package cycle: {', '.join(c)}" for c in cycles(between)}
    out |= {f"file cycle: {', '.join(map(short, c))}" for c in cycles(edges)}
    out |= {f"layer: {a} -> {b}" for a, b in between if LAYERS[b] > LAYERS[a]}
    out |= {f"reader: {short(a)} -> {short(b)}" for a, b in edges
            if package(a) in READERS and b.startswith(NEVER_FOR_READERS)}
    return out


def test_imports_follow_the_layers():
    found = problems()
    new, fixed = found - REMAINING, REMAINING - found
    assert not new, f"imports against docs/architecture.md: {sorted(new)}"
    assert not fixed, f"fixed, delete from REMAINING: {sorted(fixed)}"


def test_the_walk_sees_lazy_and_relative_imports(tmp_path):
    """The checker itself: a function-level import and a relative one are edges, and a loop
    through them is a cycle (so an empty result above is not a blind walk)."""
    pkg = tmp_path / "medtune"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "one.py").write_text("def f():\n    from medtune.a import two\n")
    (pkg / "a" / "two.py").write_text("from .one import f\n")
    mods = {"medtune": pkg / "__init__.py", "medtune.a": pkg / "a" / "__init__.py",
            "medtune.a.one": pkg / "a" / "one.py", "medtune.a.two": pkg / "a" / "two.py"}
    edges = imports(mods)
    assert edges == {("medtune.a.one", "medtune.a.two"), ("medtune.a.two", "medtune.a.one")}
    assert cycles(edges) == [["medtune.a.one", "medtune.a.two"]]
