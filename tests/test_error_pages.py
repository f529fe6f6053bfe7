"""Error pages of the server's HTML pages: styled, in the reader's language, with the way
home; the JSON API keeps answering {error, message}."""

import pytest

from tests.conftest import signed_in


@pytest.fixture
def sup(app, tree):
    return signed_in(app, "sup_d1")


def _page(resp) -> str:
    assert "text/html" in resp.content_type
    return resp.get_data(as_text=True)


def test_a_missing_page_is_chinese_with_a_way_home(sup):
    resp = sup.client.get("/no-such-page")
    html = _page(resp)
    assert resp.status_code == 404
    assert 'data-testid="error-page" data-status="404"' in html
    assert "页面不存在" in html and 'href="/" data-testid="error-home"' in html
    assert "Not Found" not in html and "app.css" in html  # our page, not Werkzeug's


def test_a_record_outside_the_scope_is_a_404_page(sup):
    resp = sup.client.get("/reviews/work_order/not-an-id")
    assert resp.status_code == 404 and "页面不存在" in _page(resp)


def test_a_page_of_another_role_is_a_403_page(app, tree):
    am = signed_in(app, "am1")
    resp = am.client.get("/reviews/")
    html = _page(resp)
    assert resp.status_code == 403
    assert "您无权打开此页面" in html and 'href="/m/"' in html  # the field app is offered


def test_english_readers_get_english(app, tree):
    am = signed_in(app, "am1")
    am.post("/lang", data={"locale": "en", "next": "/"})
    html = _page(am.client.get("/reviews/"))
    assert "You may not open this page." in html


def test_api_errors_stay_json(sup):
    resp = sup.client.get("/api/no-such-thing")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"
    resp = sup.client.get("/no-such-page", headers={"Accept": "application/json"})
    assert resp.status_code == 404 and set(resp.get_json()) == {"error", "message"}


def test_a_wrong_method_keeps_its_allow_header(sup):
    resp = sup.client.put("/reviews/")
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]
    assert 'data-status="405"' in _page(resp)
