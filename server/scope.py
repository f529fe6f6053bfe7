"""The one scoping helper. Every query of org-owned data takes its WHERE clause from here.

Rules:
- admin: everything.
- supervisor: rows whose org is in their org's subtree; for sites also rows maintained by a
  contractor in that subtree (a contractor's supervisor sees their contractor's sites).
- account manager: their own customers, and sites at those customers.
- technician: sites of their contractor, or of their own org's subtree when in-house; no
  customers until work orders assign them.
A row outside the clause does not exist for the caller: views answer 404.
"""

from dataclasses import dataclass

NOTHING = ("0", [])


@dataclass(frozen=True)
class Caller:
    """Who is asking: enough to scope a query."""

    id: str
    role: str
    org_id: str
    org_path: str
    org_kind: str


def _subtree(column: str, caller: Caller) -> tuple[str, list]:
    # Range on the materialised path uses the org_path index (LIKE would not).
    return (
        f"{column} IN (SELECT id FROM org WHERE path >= ? AND path < ?)",
        [caller.org_path, caller.org_path + "\uffff"],
    )


def orgs(caller: Caller, alias: str = "org") -> tuple[str, list]:
    """Organisations the caller may see."""
    if caller.role == "admin":
        return "1", []
    if caller.role == "supervisor":
        return _subtree(f"{alias}.id", caller)
    return f"{alias}.id = ?", [caller.org_id]


def users(caller: Caller, alias: str = "app_user") -> tuple[str, list]:
    """Users the caller may see."""
    if caller.role == "admin":
        return "1", []
    if caller.role == "supervisor":
        return _subtree(f"{alias}.org_id", caller)
    return f"{alias}.id = ?", [caller.id]


def customers(caller: Caller, alias: str = "customer") -> tuple[str, list]:
    """Customers the caller may see."""
    if caller.role == "admin":
        return "1", []
    if caller.role == "supervisor":
        return _subtree(f"{alias}.org_id", caller)
    if caller.role == "account_manager":
        return f"{alias}.account_manager_id = ?", [caller.id]
    return NOTHING


def sites(caller: Caller, alias: str = "site") -> tuple[str, list]:
    """Sites the caller may see."""
    if caller.role == "admin":
        return "1", []
    if caller.role == "supervisor":
        own, p1 = _subtree(f"{alias}.org_id", caller)
        theirs, p2 = _subtree(f"{alias}.contractor_id", caller)
        return f"({own} OR {theirs})", p1 + p2
    if caller.role == "account_manager":
        return (
            f"EXISTS (SELECT 1 FROM customer c_am WHERE c_am.id = {alias}.customer_id"
            " AND c_am.account_manager_id = ?)",
            [caller.id],
        )
    if caller.org_kind == "contractor":
        return f"{alias}.contractor_id = ?", [caller.org_id]
    return _subtree(f"{alias}.org_id", caller)


def contractors(caller: Caller, alias: str = "org") -> tuple[str, list]:
    """Contractor organisations the caller may name or filter by.

    Admin: all. Supervisor: contractors in their subtree, and those contracted by an
    organisation above them (a city's contractor serves its districts). Field users: the
    contractors of the sites they see (a contractor's technician: their own).
    """
    kind = f"{alias}.kind = 'contractor' AND {alias}.deleted_at IS NULL"
    if caller.role == "admin":
        return kind, []
    if caller.role == "supervisor":
        below, params = _subtree(f"{alias}.id", caller)
        above = (
            f"{alias}.parent_id IN (SELECT up.id FROM org up"
            " WHERE substr(?, 1, length(up.path)) = up.path)"
        )
        return f"{kind} AND ({below} OR {above})", [*params, caller.org_path]
    where, params = sites(caller, "s_k")
    return (
        f"{kind} AND ({alias}.id = ? OR {alias}.id IN"
        f" (SELECT s_k.contractor_id FROM site s_k WHERE {where}))",
        [caller.org_id, *params],
    )


def owned(
    caller: Caller, alias: str, owner: str, owners: tuple[str, ...] | None = ("account_manager",)
) -> tuple[str, list]:
    """Rows with an owner and an org (tasks, appointments, retention tasks, care marks): an
    admin all; a supervisor those whose org is in their subtree; a caller whose role is in
    `owners` (None: any other role) those whose `owner` column is their id; others none."""
    if caller.role == "admin":
        return "1", []
    if caller.role == "supervisor":
        where, params = orgs(caller, "o")
        return f"EXISTS (SELECT 1 FROM org o WHERE o.id = {alias}.org_id AND {where})", params
    if owners is None or caller.role in owners:
        return f"{alias}.{owner} = ?", [caller.id]
    return NOTHING


def may_manage(caller: Caller) -> bool:
    """Supervisors and admins edit records in their scope; field users only read here."""
    return caller.role in ("supervisor", "admin")


def visits(caller: Caller, alias: str = "visit") -> tuple[str, list]:
    """Visits the caller may see: a supervisor's subtree; an account manager's customers'."""
    if caller.role == "admin":
        return "1", []
    if caller.role == "supervisor":
        return _subtree(f"{alias}.org_id", caller)
    if caller.role == "account_manager":
        return (
            f"EXISTS (SELECT 1 FROM customer c_am WHERE c_am.id = {alias}.customer_id"
            " AND c_am.account_manager_id = ?)",
            [caller.id],
        )
    return NOTHING


def complaints(caller: Caller, alias: str = "complaint") -> tuple[str, list]:
    """Complaints the caller may see: scoped like their customer as recorded (an admin all; a
    supervisor their subtree's; an account manager their own customers'), and their owner's."""
    if caller.role in ("admin", "supervisor"):
        return owned(caller, alias, "account_manager_id")
    if caller.role == "account_manager":
        return f"({alias}.account_manager_id = ? OR {alias}.owner_id = ?)", [caller.id, caller.id]
    return f"{alias}.owner_id = ?", [caller.id]


def visit_children(caller: Caller, alias: str) -> tuple[str, list]:
    """Rows hanging off a visit (photos, follow-ups): visible with their visit."""
    where, params = visits(caller, "v")
    # EXISTS with the parent's primary key: a one-row check costs a lookup, not a list.
    return f"EXISTS (SELECT 1 FROM visit v WHERE v.id = {alias}.visit_id AND {where})", params


def contacts(caller: Caller, alias: str = "contact") -> tuple[str, list]:
    """Contacts of the customers the caller may see."""
    where, params = customers(caller, "c")
    return (
        f"EXISTS (SELECT 1 FROM customer c WHERE c.id = {alias}.customer_id AND {where})",
        params,
    )


def work_orders(caller: Caller, alias: str = "work_order") -> tuple[str, list]:
    """Work orders the caller may see.

    Supervisors: orders of their subtree, or dispatched to a team or contractor in it.
    Technicians: orders assigned to them, or to their team/contractor with no technician
    yet; and exception reports they filed. Account managers: reports they filed.
    """
    if caller.role == "admin":
        return "1", []
    if caller.role == "supervisor":
        own, p1 = _subtree(f"{alias}.org_id", caller)
        team, p2 = _subtree(f"{alias}.assigned_org_id", caller)
        return f"({own} OR {team})", p1 + p2
    if caller.role == "technician":
        return (
            f"({alias}.assignee_id = ? OR ({alias}.assignee_id IS NULL"
            f" AND {alias}.assigned_org_id = ?) OR {alias}.reported_by = ?)",
            [caller.id, caller.org_id, caller.id],
        )
    return f"{alias}.reported_by = ?", [caller.id]


def work_order_children(caller: Caller, alias: str) -> tuple[str, list]:
    """Rows hanging off a work order (events, photos, answers): visible with their order."""
    where, params = work_orders(caller, "w")
    if caller.role not in ("admin", "supervisor"):
        # A field user's own orders are few (indexed, m005): list them and read their
        # children by the work_order_id index, rather than test every child row there is.
        return f"{alias}.work_order_id IN (SELECT w.id FROM work_order w WHERE {where})", params
    return (
        f"EXISTS (SELECT 1 FROM work_order w WHERE w.id = {alias}.work_order_id AND {where})",
        params,
    )


# ---- blobs: a hash is a name, not a key ----
# Anyone can write a photo's SHA-256 into a record of their own. So an attachment (a photo,
# a signature) counts as arrived only when a user who wrote that reference holds the bytes
# (uploaded all of them, verified: blob_holder). Who wrote it is the audit log's entry that
# set the value (every synced write leaves one, server/records.py), or, for a field conflict
# a supervisor settled in the device's favour, the device user whose value it was. Until
# then the attachment is pending for everyone, its author included.


def holds(sha: str, user: str) -> str:
    """SQL: the user (an expression) holds the blob `sha` (an expression)."""
    return f"EXISTS (SELECT 1 FROM blob_holder h WHERE h.sha256 = {sha} AND h.user_id = {user})"


def attachment_arrived(table: str, alias: str, column: str) -> str:
    """SQL: the blob row `alias` of `table` names in `column` came from its author."""
    ref = f"{alias}.{column}"
    after = f"CASE WHEN json_valid(ba.after) THEN json_extract(ba.after, '$.{column}') END"
    before = f"CASE WHEN json_valid(ba.before) THEN json_extract(ba.before, '$.{column}') END"
    device = "CASE WHEN json_valid(bc.client_value) THEN json_extract(bc.client_value, '$') END"
    return (
        f"({ref} IS NOT NULL AND (EXISTS (SELECT 1 FROM audit_log ba"
        f" JOIN blob_holder bh ON bh.user_id = ba.user_id AND bh.sha256 = {ref}"
        f" WHERE ba.entity = '{table}' AND ba.entity_id = {alias}.id"
        f" AND {after} = {ref} AND coalesce({before}, '') <> {ref})"
        " OR EXISTS (SELECT 1 FROM conflict bc"
        f" JOIN blob_holder bh ON bh.user_id = bc.user_id AND bh.sha256 = {ref}"
        f" WHERE bc.entity = '{table}' AND bc.entity_id = {alias}.id AND bc.field = '{column}'"
        f" AND bc.resolution = 'accepted_device' AND {device} = {ref})))"
    )


def blob_visible(caller: Caller, sha: str) -> tuple[str, list]:
    """SQL: an attachment the caller may see names blob `sha` and has arrived from its
    author (see attachment_arrived)."""
    kinds = (
        ("visit_photo", "p", "sha256", visit_children(caller, "p")),
        ("visit", "v", "signature_sha256", visits(caller, "v")),
        ("work_order_photo", "wp", "sha256", work_order_children(caller, "wp")),
        ("inspection_answer", "ia", "photo_sha256", work_order_children(caller, "ia")),
    )
    parts, params = [], []
    for table, alias, column, (where, scoped) in kinds:
        parts.append(
            f"EXISTS (SELECT 1 FROM {table} {alias} WHERE {alias}.{column} = ?"
            f" AND {alias}.deleted_at IS NULL AND {where}"
            f" AND {attachment_arrived(table, alias, column)})"
        )
        params.extend([sha, *scoped])
    return "(" + " OR ".join(parts) + ")", params


# ---- 两不三可 "管理不代维": a contractor manages its people, the operator decides ----
# A supervisor inside a contractor organisation dispatches and pre-checks its own
# technicians' work; approving, returning and closing (and converting an exception report,
# which closes it) belong to the operator's supervisors over the site: the order's org.
DECISIONS = ("approve", "return", "close", "convert")


def decides(caller: Caller) -> bool:
    """Whether the caller's role may take the operator's decisions at all."""
    return caller.role == "admin" or (
        caller.role == "supervisor" and caller.org_kind != "contractor"
    )


def work_order_decisions(caller: Caller, alias: str = "work_order") -> tuple[str, list]:
    """Orders the caller may approve, return, close or convert: an admin's all; an operator
    supervisor's orders of sites in their subtree (the order's org); a contractor's none."""
    if caller.role == "admin":
        return "1", []
    if not decides(caller):
        return NOTHING
    return _subtree(f"{alias}.org_id", caller)


def work_order_prechecks(caller: Caller, alias: str = "work_order") -> tuple[str, list]:
    """Orders a contractor supervisor may pre-check: those dispatched to their contractor
    (or a team under it). Nobody else pre-checks: the operator's supervisors decide."""
    if caller.role != "supervisor" or caller.org_kind != "contractor":
        return NOTHING
    return _subtree(f"{alias}.assigned_org_id", caller)
