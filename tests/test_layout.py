"""The suite's own shape: a test file never imports another test file (helpers live in
conftest.py and the named helper modules: browser, device, blobs, factories, ...)."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "tests":
                found |= {f"tests.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_no_test_file_imports_another_test_file():
    offenders = {
        path.name: sorted(m for m in _imported_modules(path) if m.startswith("tests.test_"))
        for path in sorted(TESTS.glob("*.py"))
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_check_sees_an_import_of_a_test_file(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text("from tests import test_sync_push\nimport tests.test_blobs\n")
    assert _imported_modules(sample) >= {"tests.test_sync_push", "tests.test_blobs"}
