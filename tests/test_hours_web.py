"""The published hours: GET /hours as JSON or HTML, /hours.html, CORS, cache headers and 304, 503."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from contact_center.app import create_app
from hours import Band
from storage.hours_repository import add_closure, add_extension, cancel_entry
from tests.conftest import make_settings

ROME = ZoneInfo("Europe/Rome")
SATURDAY_NOON = datetime(2026, 11, 28, 12, tzinfo=ROME)
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Europe/Rome wall-clock datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


def set_clock(app: Flask, moment: datetime) -> None:
    """Make the app's "now" this instant."""
    app.extensions["contact_center"].clock = lambda: moment


def change(app: Flask, action: Callable[..., object], *args: object) -> None:
    """A supervisor's change, committed at the app's "now"."""
    runtime = app.extensions["contact_center"]
    with runtime.sessions.begin() as session:
        action(session, *args, now=runtime.clock())


@pytest.fixture
def crisis_app(app: Flask) -> Flask:
    """Saturday noon, with an active extension, an upcoming one, a closure, a past one and a cancelled one."""
    set_clock(app, SATURDAY_NOON)
    change(app, add_extension, rome(2026, 11, 1), rome(2026, 11, 2), None, "passato", "cli")
    change(app, add_extension, rome(2026, 11, 28, 8), rome(2026, 11, 29, 20), (Band.parse("08:00-20:00"),),
           "Allerta meteo in Liguria <arancione>", "cli")
    change(app, add_extension, rome(2026, 12, 5), rome(2026, 12, 7), None, None, "cli")
    change(app, add_closure, rome(2026, 12, 2, 13), rome(2026, 12, 2, 15), "manutenzione straordinaria", "cli")
    change(app, add_closure, rome(2026, 12, 3, 13), rome(2026, 12, 3, 15), "annullata", "cli")
    change(app, cancel_entry, "C2", "cli")
    return app


def test_the_json_has_the_schedule_the_state_the_database_ranges_and_the_holidays(crisis_app: Flask) -> None:
    response = crisis_app.test_client().get("/hours")
    assert response.status_code == 200 and response.mimetype == "application/json"
    published = response.get_json()
    assert published["generated_at"] == "2026-11-28T12:00:00+01:00"
    assert published["weekly_schedule"]["monday"] == {"label": "lunedì", "bands": ["09:00-18:00"]}
    assert published["weekly_schedule"]["saturday"]["bands"] == []
    assert (published["open_now"], published["reason"]) == (True, "extension")
    assert published["next_change"] == "2026-11-28T20:00:00+01:00"
    assert published["announcements"] == ["Allerta meteo in Liguria <arancione>"]
    assert [(item["id"], item["active"], item["all_day"], item["bands"]) for item in published["extensions"]] == [
        ("E2", True, False, ["08:00-20:00"]), ("E3", False, True, None)]
    assert [(item["id"], item["reason"], item["starts_at"]) for item in published["closures"]] == [
        ("C1", "manutenzione straordinaria", "2026-12-02T13:00:00+01:00")]
    assert [(item["date"], item["name"]) for item in published["holidays"]] == [
        ("2026-12-08", "Immacolata Concezione"), ("2026-12-25", "Natale"), ("2026-12-26", "Santo Stefano"),
        ("2027-01-01", "Capodanno"), ("2027-01-06", "Epifania")]
    assert published["sentences"] == {
        "state": "Il servizio è attivo in orario straordinario.", "reopening": None,
        "schedule": "Il servizio è attivo dal lunedì al venerdì dalle 9 alle 18."}


def test_a_closed_line_publishes_why_and_when_it_reopens(app: Flask) -> None:
    set_clock(app, rome(2026, 12, 25, 10))
    published = app.test_client().get("/hours").get_json()
    assert (published["open_now"], published["reason"], published["holiday_name"]) == (False, "holiday", "Natale")
    assert published["next_change"] == "2026-12-28T09:00:00+01:00"
    assert published["sentences"]["state"] == "Oggi il servizio è chiuso per Natale."
    assert published["sentences"]["reopening"] == "Riaprirà lunedì 28 dicembre alle ore 9."


@pytest.mark.parametrize(("path", "accept", "mimetype"), [
    ("/hours", None, "application/json"),
    ("/hours", "*/*", "application/json"),
    ("/hours", "application/json", "application/json"),
    ("/hours", "text/html", "text/html"),
    ("/hours", BROWSER_ACCEPT, "text/html"),
    ("/hours.html", None, "text/html"),
    ("/hours.html", "application/json", "text/html"),
])
def test_the_representation_follows_the_path_and_the_accept_header(
        sqlite_app: Flask, path: str, accept: str | None, mimetype: str) -> None:
    response = sqlite_app.test_client().get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == mimetype


class _Page(HTMLParser):
    """The tags, attributes and visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(" ".join(data.split()))


def parsed(response: TestResponse) -> _Page:
    """The page of a response."""
    page = _Page()
    page.feed(response.get_data(as_text=True))
    return page


def test_the_page_is_italian_semantic_and_self_contained(crisis_app: Flask) -> None:
    response = crisis_app.test_client().get("/hours.html")
    page = parsed(response)
    text = " | ".join(page.text)
    assert ("html", {"lang": "it"}) in page.tags
    assert [tag for tag, _ in page.tags].count("table") == 4
    assert [tag for tag, _ in page.tags].count("caption") == 4
    assert ("th", {"scope": "row"}) in page.tags and ("th", {"scope": "col"}) in page.tags
    assert not [tag for tag, attrs in page.tags if tag in {"script", "link", "img", "iframe"} or "src" in attrs
                or "href" in attrs]
    assert "Orari del numero verde 800 840 840" in text
    assert "Il servizio è attivo in orario straordinario. Chiude oggi, ore 20:00." in text
    assert "Avviso importante: | Allerta meteo in Liguria <arancione>" in text
    assert "Lunedì | 9:00–18:00" in text and "Sabato | chiuso" in text
    assert "oggi, ore 8:00 | (in corso) | domani, ore 20:00 | 8:00–20:00" in text
    assert "sabato 5 dicembre 2026, ore 0:00 | lunedì 7 dicembre 2026, ore 0:00 | tutto il giorno" in text
    assert "mercoledì 2 dicembre 2026, ore 13:00 | mercoledì 2 dicembre 2026, ore 15:00 | manutenzione" in text
    assert "annullata" not in text and "passato" not in text
    assert "martedì 8 dicembre 2026 | Immacolata Concezione" in text
    assert "in caso di emergenza chiama il numero unico 112" in text
    assert "&lt;arancione&gt;" in response.get_data(as_text=True)


def test_a_closed_day_page_says_why_and_when_it_reopens(app: Flask) -> None:
    set_clock(app, rome(2026, 12, 25, 10))
    text = " | ".join(parsed(app.test_client().get("/hours.html")).text)
    assert "Oggi il servizio è chiuso per Natale. Riaprirà lunedì 28 dicembre alle ore 9." in text
    assert "Nessuna apertura straordinaria prevista nei prossimi 60 giorni." in text
    assert "Nessuna chiusura straordinaria prevista nei prossimi 60 giorni." in text


@pytest.mark.parametrize("path", ["/hours", "/hours.html"])
def test_any_site_may_read_it_and_caches_keep_it_a_minute(sqlite_app: Flask, path: str) -> None:
    client = sqlite_app.test_client()
    response = client.get(path, headers={"Origin": "https://www.protezionecivile.gov.it"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["ETag"].startswith('W/"')
    preflight = client.options(path, headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Allow"]
    head = client.head(path)
    assert head.status_code == 200 and head.data == b""


def test_only_the_negotiated_path_varies_on_accept(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    assert "Accept" in client.get("/hours").headers["Vary"]
    assert "Vary" not in client.get("/hours.html").headers


def test_a_current_copy_gets_a_304_until_the_published_content_changes(app: Flask) -> None:
    set_clock(app, rome(2026, 11, 30, 10))
    client = app.test_client()
    first = client.get("/hours")
    etag = first.headers["ETag"]

    unchanged = client.get("/hours", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert unchanged.headers["Access-Control-Allow-Origin"] == "*" and unchanged.headers["ETag"] == etag

    set_clock(app, rome(2026, 11, 30, 10, 5))  # generated later, same content: still current
    assert client.get("/hours", headers={"If-None-Match": etag}).status_code == 304

    change(app, add_extension, rome(2026, 12, 5), rome(2026, 12, 6), None, None, "cli")
    changed = client.get("/hours", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert [item["id"] for item in changed.get_json()["extensions"]] == ["E1"]

    set_clock(app, rome(2026, 11, 30, 18))  # the line closed: open_now changed
    assert client.get("/hours", headers={"If-None-Match": changed.headers["ETag"]}).status_code == 200


def test_the_html_and_json_copies_have_different_tags(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    json_tag = client.get("/hours").headers["ETag"]
    html = client.get("/hours.html", headers={"If-None-Match": json_tag})
    assert html.status_code == 200 and html.headers["ETag"] != json_tag


def test_the_page_saying_oggi_and_domani_is_new_every_day(sqlite_app: Flask) -> None:
    change(sqlite_app, add_closure, rome(2027, 2, 8), rome(2027, 2, 15, 9), "lavori", "cli")
    change(sqlite_app, add_extension, rome(2027, 2, 9, 9), rome(2027, 2, 9, 10), None, None, "cli")
    set_clock(sqlite_app, rome(2027, 2, 8, 23, 50))
    client = sqlite_app.test_client()
    evening = client.get("/hours.html")
    assert "<td>domani, ore 9:00</td>" in evening.get_data(as_text=True)
    json_tag = client.get("/hours").headers["ETag"]

    set_clock(sqlite_app, rome(2027, 2, 9, 0, 10))  # the published content is the same after midnight...
    assert client.get("/hours", headers={"If-None-Match": json_tag}).status_code == 304
    night = client.get("/hours.html", headers={"If-None-Match": evening.headers["ETag"]})
    assert night.status_code == 200  # ...but the page's words are not
    assert "<td>oggi, ore 9:00</td>" in night.get_data(as_text=True)


def test_a_change_is_published_at_once(app: Flask) -> None:
    set_clock(app, SATURDAY_NOON)
    client = app.test_client()
    assert client.get("/hours").get_json()["open_now"] is False
    change(app, add_extension, rome(2026, 11, 28), rome(2026, 11, 29), None, "Allerta", "cli")
    published = client.get("/hours").get_json()
    assert (published["open_now"], published["announcements"]) == (True, ["Allerta"])


def test_with_the_database_down_the_answer_is_503_never_a_guess(tmp_path: Path) -> None:
    app = create_app(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path / "i"))
    client = app.test_client()
    response = client.get("/hours")
    assert response.status_code == 503 and response.get_json()["error"] == "schedule_unavailable"
    assert response.headers["Retry-After"] == "60" and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    page = client.get("/hours.html")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Gli orari non sono disponibili in questo momento." in page.get_data(as_text=True)


def test_the_publication_reaches_sixty_days_ahead(app: Flask) -> None:
    set_clock(app, SATURDAY_NOON)
    change(app, add_extension, SATURDAY_NOON + timedelta(days=59), SATURDAY_NOON + timedelta(days=60), None, None, "x")
    change(app, add_extension, SATURDAY_NOON + timedelta(days=61), SATURDAY_NOON + timedelta(days=62), None, None, "x")
    assert [item["id"] for item in app.test_client().get("/hours").get_json()["extensions"]] == ["E1"]
