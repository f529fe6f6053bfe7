"""The shape rules of DESIGN.md that code review alone would miss."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_sync_imports_no_flask_and_no_domain():
    modules = imported_modules(ROOT / "sync")
    assert not modules & {"flask", "flask_login", "flask_babel", "werkzeug", "server"}
