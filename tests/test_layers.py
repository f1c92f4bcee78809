"""The library's layers import only downward (README, "Layers"): sources -> store -> link and
derive -> publish -> the faces (cli, web). A module that imports a layer above its own (even
inside a function) fails here, naming the module, the line and the import."""

from __future__ import annotations

import ast
from pathlib import Path

import detainerwatch

PACKAGE = Path(detainerwatch.__file__).parent

# Each layer and the layers it must not import. Top-level helper modules (errors, handfiles,
# data_paths) sit below every layer; pipeline runs link and derive after an ingest (above
# them, below publish); synth writes workbooks for the bench and tests (a face's helper).
_ABOVE = {
    "sources": {"store", "link", "derive", "pipeline", "publish", "cli", "web"},
    "store": {"link", "derive", "pipeline", "publish", "cli", "web"},
    "link": {"derive", "pipeline", "publish", "cli", "web"},
    "derive": {"pipeline", "publish", "cli", "web"},
    "pipeline": {"publish", "cli", "web"},
    "publish": {"cli", "web"},
}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None or target == "detainerwatch":
                found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, target))
    return found


def test_layers_import_only_downward() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        above = _ABOVE.get(_layer(module), set())
        for line, target in _imports(path, module):
            if target.startswith("detainerwatch.") and _layer(target) in above:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)
