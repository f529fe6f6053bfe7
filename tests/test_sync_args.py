"""sync/args.py: the one home of device-argument checks; every rejection names its argument."""

import pytest

from sync import PermanentError
from sync import args as a
from tests.sync_examples import EXAMPLES, SHA, UUID

MEGABYTE = "x" * 1_000_000


def rejected(fn, args, *rest, **kw) -> dict:
    with pytest.raises(PermanentError) as caught:
        fn(args, *rest, **kw)
    assert caught.value.code == "bad_args"
    return caught.value.as_dict()


@pytest.mark.parametrize(
    "value", [None, 7, True, "", "nope", UUID[:-1], UUID + "0", UUID.replace("-", ""), [UUID]]
)
def test_uuid_refuses_what_is_not_one(value):
    assert rejected(a.uuid_id, {"visit_id": value}, "visit_id")["arg"] == "visit_id"


def test_uuid_is_answered_in_lower_case_and_optional_when_asked():
    assert a.uuid_id({"id": UUID.upper()}) == UUID
    assert a.uuid_id({}, "site_id", required=False) is None
    assert a.is_uuid(UUID) and not a.is_uuid(True) and not a.is_uuid(f"{UUID}\n")


@pytest.mark.parametrize(
    "value", [True, "1", 2**63, -(2**63) - 1, 1.5, float("nan"), 10**30, [], None]
)
def test_integer_refuses_bools_floats_and_beyond_64_bits(value):
    assert rejected(a.integer, {"size": value}, "size")["arg"] == "size"


def test_integer_keeps_a_tighter_range():
    assert a.integer({"n": 2**63 - 1}, "n") == 2**63 - 1
    assert a.integer({"n": 5}, "n", minimum=1, maximum=5) == 5
    rejected(a.integer, {"n": 6}, "n", minimum=1, maximum=5)
    assert a.integer({}, "n", required=False) is None


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), float("-inf"), 1e308, -1e30, True, "3", {}]
)
def test_number_refuses_non_finite_out_of_range_and_bools(value):
    assert rejected(a.number, {"x": value}, "x", minimum=-1e6, maximum=1e6)["arg"] == "x"


@pytest.mark.parametrize(
    "args, arg",
    [
        ({"lat": float("nan"), "lon": 120.1}, "lat"),
        ({"lat": 30.2, "lon": float("inf")}, "lon"),
        ({"lat": 91, "lon": 120.1}, "lat"),
        ({"lat": 30.2, "lon": -180.5}, "lon"),
        ({"lat": 30.2}, "lon"),
        ({"lon": 120.1}, "lat"),
        ({"lat": True, "lon": 120.1}, "lat"),
        ({"lat": "30.2", "lon": 120.1}, "lat"),
        ({"lat": 30.2, "lon": 120.1, "accuracy": -1}, "accuracy"),
        ({"lat": 30.2, "lon": 120.1, "accuracy": 1e308}, "accuracy"),
    ],
)
def test_position_refusals_name_the_coordinate(args, arg):
    assert rejected(a.position, args)["arg"] == arg


def test_position_without_a_fix_and_with_one():
    assert a.position({}) == a.position({"lat": None, "lon": None}) == (None, None, None)
    assert a.position({"lat": 30, "lon": 120.5, "accuracy": 8}) == (30.0, 120.5, 8.0)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-20T02:00:00.000000000000000000000Z",  # 41 characters
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-11-20",  # a day is not a time
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",
        "2026-11-20T02:00:00Z\x00",
        "٢٠٢٦-11-20T02:00:00Z",  # digits, but not ASCII ones
        12345,
        True,
        MEGABYTE,
    ],
)
def test_device_time_must_parse_and_be_short(value):
    assert rejected(a.device_time, {"at": value})["arg"] == "at"


def test_device_time_is_kept_as_the_device_said():
    assert len("2026-11-20T02:00:00.000000000000000000Z") == 39
    assert a.device_time({"at": "2026-11-20T02:00:00.000Z"}) == "2026-11-20T02:00:00.000Z"
    assert a.device_time({"at": "2026-06-02T07:00:00+08:00"}) == "2026-06-02T07:00:00+08:00"
    assert a.device_time({}) is None
    rejected(a.device_time, {}, required=True)


@pytest.mark.parametrize(
    "value, why",
    [
        ("emoji cut in half \ud83d", "Unicode"),
        ("a\x00b", "NUL"),
        (MEGABYTE, "up to"),
        (5, "up to"),
        (["x"], "up to"),
    ],
)
def test_text_refuses_surrogates_nul_and_too_long(value, why):
    found = rejected(a.text, {"note": value}, "note", max_length=2000)
    assert found["arg"] == "note" and why in found["message"]


def test_text_is_stripped_and_required_when_asked():
    assert a.text({"note": "  好 👍 "}, "note", max_length=10) == "好 👍"
    assert a.text({}, "note", max_length=10) == ""
    assert rejected(a.text, {"title": "   "}, "title", max_length=10, required=True)["arg"]
    named = rejected(a.text, {"notes": 1}, "notes", max_length=9, name="fields.notes")
    assert named["arg"] == "fields.notes"


@pytest.mark.parametrize(
    "value", ["٢٠٢٦-٠٢-٠٣", "2026-02-30", "2026-2-3", "20260203", "2026-02-03x", 20260203]
)
def test_day_must_be_a_real_date(value):
    assert rejected(a.day, {"due_date": value}, "due_date")["arg"] == "due_date"


def test_day_accepts_a_leap_day():
    assert a.day({"d": "2028-02-29"}, "d") == "2028-02-29"


@pytest.mark.parametrize("value", [SHA.upper(), SHA[:-1], "g" * 64, None, 64])
def test_blob_ref_is_64_lowercase_hex(value):
    assert rejected(a.blob_ref, {"sha256": value})["arg"] == "sha256"
    assert a.blob_ref({"sha256": SHA}) == SHA


def test_choice_refuses_bool_for_a_number_and_unknown_values():
    assert a.choice({"satisfaction": 3}, "satisfaction", (1, 2, 3)) == 3
    assert rejected(a.choice, {"satisfaction": True}, "satisfaction", (1, 2, 3))["arg"]
    assert rejected(a.choice, {"how": "dance"}, "how", ("call", "gift"))["arg"] == "how"
    assert a.choice({}, "stage", ("before", "evidence"), default="evidence") == "evidence"
    rejected(a.choice, {"how": ["call"]}, "how", ("call",))


def test_boolean_takes_true_false_one_zero():
    assert [a.boolean({"p": v}, "p") for v in (True, False, 1, 0, None)] == [
        True,
        False,
        True,
        False,
        None,
    ]
    for value in (2, 1.0, "1", "true", [True]):
        assert rejected(a.boolean, {"p": value}, "p")["arg"] == "p"


def test_text_list_and_fields():
    assert a.text_list({"met": ["王经理"]}, "met", max_items=5, max_length=9) == ["王经理"]
    rejected(a.text_list, {"met": ["x"] * 6}, "met", max_items=5, max_length=9)
    rejected(a.text_list, {"met": ["\ud83d"]}, "met", max_items=5, max_length=9)
    found = rejected(a.fields, {"fields": {"mood\ud83d": 1}}, allowed={"notes"})
    assert found["arg"] == "fields" and "mood?" in found["message"]
    rejected(a.fields, {"fields": {}}, allowed={"notes"})
    many = rejected(a.fields, {"fields": {f"k{n:06d}" * 100: 1 for n in range(10**5)}}, allowed=())
    assert len(many["message"]) < 500


def test_an_id_taken_says_nothing_about_the_record():
    assert a.taken().as_dict() == {
        "code": "id_taken",
        "message": "this id is already used by another record",
        "arg": "id",
    }


# ---- every registered handler reads its args through sync.args --------------------------

HOSTILE = [True, 2**63, float("nan"), float("inf"), 1e308, "\ud83d", "a\x00b", MEGABYTE, {}, [1]]


def test_every_mutation_has_an_example():
    from server.sync_api.registry import build_registry

    assert set(EXAMPLES) == set(build_registry().mutations)


CASES = [
    (name, key, value)
    for name, example in EXAMPLES.items()
    for key in example
    for value in HOSTILE
    if not (key == "passed" and value is True)  # a verdict is a boolean
]


@pytest.fixture(scope="module")
def handlers():
    from server.sync_api.registry import build_registry

    return build_registry().mutations


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    """One empty database for the whole walk: a rejection must come before any lookup."""
    from server import create_app
    from server.db import connect
    from server.migrations import upgrade

    path = tmp_path_factory.mktemp("args") / "fieldbook.db"
    app = create_app({"TESTING": True, "DATABASE": str(path), "SECRET_KEY": "x"})
    upgrade(connect(str(path)))
    database = connect(str(path))
    yield app, database
    database.conn.close()


@pytest.mark.parametrize("name, key, value", CASES, ids=lambda v: repr(v)[:20])
def test_each_handler_rejects_hostile_args_naming_them_before_any_read(
    empty, handlers, name, key, value
):
    """Lone surrogates included: sync/push.py (another module) fails them earlier today,
    so the handlers are called here directly through the registry."""
    from server.scope import Caller
    from sync.registry import Context

    app, db = empty
    caller = Caller(UUID, "account_manager", UUID, "/x/", "team")
    ctx = Context(db, UUID, caller, "client-1", 1, name, "0:0:x", None, "2026-11-20T02:00:00.000Z")
    ctx.extra["config"] = {"VISIT_FAR_METERS": 500, "VISIT_LOW_ACCURACY_METERS": 100}
    before = db.conn.total_changes
    with app.app_context(), pytest.raises(PermanentError) as caught:
        handlers[name].apply(ctx, {**EXAMPLES[name], key: value})
    found = caught.value.as_dict()
    assert (found["code"], found["arg"].split(".")[0].split("[")[0]) == ("bad_args", key), found
    assert db.conn.total_changes == before


def test_a_held_mutation_with_half_an_emoji_in_an_unchecked_key_is_stored(empty):
    """Unknown extra keys are not checked; a late edit must still store them (it raised
    UnicodeEncodeError, an internal_error that lost the late edit)."""
    from sync.conflicts import hold
    from sync.registry import Context

    app, db = empty
    ctx = Context(db, UUID, None, "client-1", 1, "visit.update", "0:0:x", None, "2026-11-20")
    with db.conn:
        held = hold(
            ctx,
            kind="late_edit",
            entity="visit",
            entity_id=UUID,
            reason="approved",
            args={"id": UUID, "extra": "\ud83d!"},
            new_id=UUID,
        )
    stored = db.execute("SELECT args FROM conflict WHERE id = ?", [held.conflict_id]).fetchone()
    assert '"extra": "?!"' in stored[0]
