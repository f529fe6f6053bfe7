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


HANDLERS = [
    *sorted((ROOT / "server").glob("*/sync.py")),
    ROOT / "server/visits/mutations.py",
    ROOT / "server/customers/mutations.py",
    ROOT / "server/visits/attachments.py",
    ROOT / "server/visits/contacts_log.py",
    ROOT / "server/visits/followups.py",
    ROOT / "server/work_orders/mutations.py",
    ROOT / "server/work_orders/fieldwork.py",
    ROOT / "server/work_orders/inspection_mutations.py",
]


def test_mutation_handlers_read_device_args_only_through_sync_args():
    """One home for device-argument checks (sync/args.py): a handler that reads
    `args.get(...)` itself is where the rules start to drift again."""
    readers = [
        p.relative_to(ROOT).as_posix()
        for p in HANDLERS
        if "args.get(" in p.read_text(encoding="utf-8")
    ]
    assert readers == []


def test_one_uuid_check():
    """UUID text is recognised in one place (sync/args.is_uuid), not by copied patterns."""
    pattern = "{8}-"
    found = [
        p.relative_to(ROOT).as_posix()
        for folder in ("server", "sync")
        for p in (ROOT / folder).rglob("*.py")
        if pattern in p.read_text(encoding="utf-8")
    ]
    assert found == ["sync/args.py"]
