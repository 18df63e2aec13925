"""The layering and size rules of docs/decisions.md ("Layout and layers"), checked on the source itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "leadcenter" / "leadcenter"
DOMAIN_MAY_NOT_IMPORT = ("pynamodb", "boto3", "botocore", "leadcenter.http")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((LAYER / "domain").glob("*.py")), ids=lambda p: p.name)
def test_domain_modules_ask_the_store_and_never_build_storage_requests(path):
    imported = _imports(path)
    forbidden = sorted(n for n in imported if any(n == f or n.startswith(f + ".") for f in DOMAIN_MAY_NOT_IMPORT))
    assert forbidden == [], f"{path.name} imports {forbidden}"
    source = path.read_text()
    assert not re.search(r"\bmodels\(", source), f"{path.name} binds store models itself"
    assert ".Meta." not in source, f"{path.name} reads a store item's Meta"


MAX_MODULE_LINES = 600
MAX_TYPE_IGNORES = 10


def _modules() -> list[Path]:
    python = [p for top in ("layers", "local", "functions") for p in (ROOT / top).rglob("*.py")]
    return sorted(python + list((ROOT / "web" / "js").rglob("*.js")))


def test_no_module_passes_six_hundred_lines():
    # A module that long is doing two things: split it where they part (STYLE.md, "Our own house").
    too_long = {
        str(p.relative_to(ROOT)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}


def test_the_layer_keeps_at_most_ten_type_ignores_and_mypy_reports_unused_ones():
    ignores = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sorted(LAYER.rglob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if "# type: ignore" in line
    ]
    assert len(ignores) <= MAX_TYPE_IGNORES, ignores
    assert re.search(r"^warn_unused_ignores\s*=\s*true", (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
