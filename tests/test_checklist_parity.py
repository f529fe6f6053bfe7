"""Checklist evaluation on the server (server/inspections/evaluation.py) and its device port
(pwa/local.js evaluate, pwa/checklist.js checklistGaps) give the same verdicts on the same
cases (tests/checklist_cases.py); the device side runs in real Chromium."""

import pytest

from server.inspections.evaluation import evaluate, order_complete
from tests.browser import serving
from tests.checklist_cases import CASES, ORDER_CASES

RUN_CASES = """async (cases) => {
  const { evaluate } = await import('/m/assets/local.js');
  const out = {};
  for (const [name, [item, answer]] of Object.entries(cases)) {
    const { passed, problems } = evaluate(item, answer);
    out[name] = [passed, problems];
  }
  return out;
}"""
RUN_ORDER_CASES = """async (cases) => {
  const { checklistGaps } = await import('/m/assets/checklist.js');
  const byId = (rows) => new Map(rows.map((row) => [row.id, row]));
  const out = {};
  for (const [name, [items, answers]] of Object.entries(cases)) {
    const data = { checklist_item: byId(items), inspection_answer: byId(answers) };
    const gaps = checklistGaps(data, { id: 'wo', checklist_template_id: 'tpl' });
    out[name] = gaps.missing.map((item) => item.id);
  }
  return out;
}"""


def _server_gaps(items, answers) -> list[str]:
    complete, missing = order_complete(items, answers)
    assert complete == (not missing)
    return [gap["item_id"] for gap in missing]


@pytest.mark.parametrize("name", list(CASES))
def test_server_evaluation_matches_the_hand_computed_case(name):
    item, answer, expected = CASES[name]
    assert evaluate(item, answer) == expected


@pytest.mark.parametrize("name", list(ORDER_CASES))
def test_server_order_completeness_matches_the_hand_computed_case(name):
    items, answers, expected = ORDER_CASES[name]
    assert _server_gaps(items, answers) == expected


@pytest.mark.browser
def test_device_evaluation_matches_the_server_on_every_case(app, chromium):
    with serving(app) as server:
        page = chromium.new_page()
        try:
            page.goto(server.url + "/login")
            device = page.evaluate(RUN_CASES, {k: [v[0], v[1]] for k, v in CASES.items()})
            gaps = page.evaluate(
                RUN_ORDER_CASES, {k: [v[0], v[1]] for k, v in ORDER_CASES.items()}
            )
        finally:
            page.close()
    for name, (item, answer, expected) in CASES.items():
        passed, problems = expected
        assert evaluate(item, answer) == expected, name
        assert device[name] == [passed, problems], name
    for name, (items, answers, expected) in ORDER_CASES.items():
        assert _server_gaps(items, answers) == expected == gaps[name], name
