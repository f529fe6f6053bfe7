"""Shared helpers stay shared: no module reaches into another's private names, and every
write transaction is opened by the one `write_lock` (sync/transactions.py, re-exported by
server/db.py as `write_lock` and `db.atomic()`)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("server", "sync")
# Where a transaction may be begun by hand: write_lock itself, and an applied migration
# (m023, which must run outside a transaction; applied migrations are never edited).
BEGIN_ALLOWED = {"sync/transactions.py", "server/migrations.py"}
# A read snapshot (plain BEGIN, as sync/pull.py takes) is not a write transaction.
BEGIN = re.compile(r"^\s*BEGIN\s+(IMMEDIATE|EXCLUSIVE)\b", re.IGNORECASE)


def sources():
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(tree: ast.AST) -> list[str]:
    """Private names this module takes from another: `from x import _y`, `import x._y`,
    and `x._y` where x is a name the module imported."""
    imported, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported.add(alias.asname or alias.name)
                if private(alias.name):
                    found.append(f"from {'.' * node.level}{node.module or ''} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imported.add(alias.asname or alias.name.split(".")[0])
                if any(private(part) for part in alias.name.split(".")):
                    found.append(f"import {alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in imported
            and private(node.attr)
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    """A helper two modules need is public, documented and in a shared home (server/db.py,
    server/web.py, server/csvio.py, server/held.py, server/charts.py), not borrowed."""
    found = {path: uses for path, tree in sources() if (uses := private_uses(tree))}
    assert found == {}


def test_transactions_begin_only_in_write_lock():
    """`with write_lock(db):` (or `db.atomic()`) is the one way to open a write transaction:
    busy and full answered as DatabaseUnavailable, rollback on any error, re-raise."""
    found = sorted(
        f"{path}:{node.lineno}"
        for path, tree in sources()
        if path not in BEGIN_ALLOWED
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and BEGIN.match(node.value)
    )
    assert found == []


def test_the_checks_catch_what_they_refuse():
    bad = ast.parse(
        "from ..imports.views import _read_upload\n"
        "from . import mutations\n"
        "mutations._editable(1)\n"
    )
    assert private_uses(bad) == ["from ..imports.views import _read_upload", "mutations._editable"]
    assert private_uses(ast.parse("from .web import scoped_one_or_404 as _scoped")) == []
    assert BEGIN.match("BEGIN IMMEDIATE") and not BEGIN.match("Outermost: BEGIN IMMEDIATE")
    assert not BEGIN.match("BEGIN")


TEMPLATES = ROOT / "templates"
TEMPLATE_HOOKS = {"app_template_global", "app_context_processor", "context_processor"}


def test_one_error_macro():
    """The field-error macro lives in templates/_macros.html; pages import it with context."""
    found = [
        p.relative_to(TEMPLATES).as_posix()
        for p in sorted(TEMPLATES.rglob("*.html"))
        if "{% macro error(" in p.read_text(encoding="utf-8")
    ]
    assert found == ["_macros.html"]


def hook_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.attr if isinstance(target, ast.Attribute) else ""


def querying_hooks(tree: ast.AST) -> list[str]:
    """Template globals and context processors that call get_db, rows or one."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.FunctionDef)
            and {hook_name(d) for d in node.decorator_list} & TEMPLATE_HOOKS
        ):
            called = {
                n.func.id
                for n in ast.walk(node)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            }
            if called & {"get_db", "rows", "one"}:
                found.append(node.name)
    return found


def test_template_globals_run_no_queries():
    """A page gets other domains' sections from its view (points, retention, the review
    panel), not from a template global that queries behind the view's back."""
    found = {path: names for path, tree in sources() if (names := querying_hooks(tree))}
    assert found == {}
    before = "@bp.app_template_global()\ndef section(c):\n    return rows(get_db(), 'x')\n"
    assert querying_hooks(ast.parse(before)) == ["section"]
