"""The published opening hours: `GET /hours` (JSON, or the HTML page for `Accept: text/html`), `GET /hours.html`.

Thin: read the live timetable, publish it with `hours.published_timetable`, render. Any site may
read it (`Access-Control-Allow-Origin: *`); caches keep it a minute, then revalidate with a weak
ETag computed on everything but the generation time, so a 304 answers until something changes.
When the schedule cannot be read the answer is 503 with Retry-After, never a stale guess.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import phonenumbers
from flask import Blueprint, Response, current_app, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from hours import Band, HoursError, Timetable, published_timetable
from ivr.runtime import Runtime
from ivr.schedule import HoursSentences, sentences_at, speech_templates

PUBLISHED_DAYS: Final = 60
MAX_AGE_SECONDS: Final = 60
RETRY_AFTER_SECONDS: Final = 60
JSON_TYPE: Final = "application/json"
HTML_TYPE: Final = "text/html"
_UNVERSIONED_KEYS: Final = frozenset({"generated_at"})


@dataclass(frozen=True)
class Publication:
    """The timetable published at an instant: the JSON document, and what the page needs besides."""

    document: dict[str, Any]
    timetable: Timetable
    now: datetime
    sentences: HoursSentences


def make_blueprint() -> Blueprint:
    """The /hours routes."""
    blueprint = Blueprint("hours", __name__)
    blueprint.add_url_rule("/hours", "timetable", timetable)
    blueprint.add_url_rule("/hours.html", "page", page)
    blueprint.after_request(_public)
    return blueprint


def timetable() -> Response:
    """The published timetable as JSON, or as the page when the client prefers HTML."""
    wants_html = request.accept_mimetypes.best_match([JSON_TYPE, HTML_TYPE]) == HTML_TYPE
    response = _answer(as_html=wants_html)
    response.vary.add("Accept")
    return response


def page() -> Response:
    """The published timetable as a small accessible Italian page."""
    return _answer(as_html=True)


def _runtime() -> Runtime:
    """The running service's parts."""
    return current_app.extensions["contact_center"]


def _answer(as_html: bool) -> Response:
    """The representation asked for, with CORS and cache headers, 304 when the client's copy is current."""
    runtime = _runtime()
    try:
        publication = publish(runtime)
    except (SQLAlchemyError, HoursError):
        current_app.logger.warning("GET %s: the opening hours cannot be read", request.path, exc_info=True)
        return _unavailable(runtime, as_html)
    if as_html:
        response = Response(render_template("hours/page.html", **page_context(runtime, publication)),
                            mimetype=HTML_TYPE)
    else:
        response = Response(json.dumps(publication.document, ensure_ascii=False), mimetype=JSON_TYPE)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_SECONDS}"
    representation = f"html-{publication.now.astimezone(publication.timetable.zone):%Y%m%d}" if as_html else "json"
    response.set_etag(_etag(publication.document, representation), weak=True)
    return response.make_conditional(request)


def publish(runtime: Runtime) -> Publication:
    """The timetable in force now, published for the next days, with the Italian sentences."""
    now = runtime.clock()
    timetable = runtime.schedule.current(now)
    sentences = sentences_at(timetable, timetable.state_at(now), now, speech_templates(runtime.prompts))
    document = published_timetable(timetable, now, days=PUBLISHED_DAYS)
    document["sentences"] = {"state": sentences.state, "reopening": sentences.reopening,
                             "schedule": sentences.schedule}
    return Publication(document, timetable, now, sentences)


def _etag(document: Mapping[str, Any], representation: str) -> str:
    """A tag that changes with the published content, not with the generation time.

    The page's tag also names the local day: the page says "oggi" and "domani".
    """
    content = {key: value for key, value in document.items() if key not in _UNVERSIONED_KEYS}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
    return f"{representation}-{digest}"


def _public(response: Response) -> Response:
    """Readable by scripts on any site (every answer of the blueprint, 304 and 503 included)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _unavailable(runtime: Runtime, as_html: bool) -> Response:
    """503: the schedule cannot be read now; try again in a minute."""
    if as_html:
        response = Response(render_template("hours/page.html", **_line(runtime), unavailable=True),
                            status=503, mimetype=HTML_TYPE)
    else:
        response = Response(json.dumps({"error": "schedule_unavailable",
                                        "message": "the opening hours cannot be read now; retry later"}),
                            status=503, mimetype=JSON_TYPE)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- The page's words and dates, in Italian (the texts around them are in templates/hours/page.html).

def page_context(runtime: Runtime, publication: Publication) -> dict[str, Any]:
    """What templates/hours/page.html shows, read from the published document."""
    document = publication.document
    written = _Writer(speech_templates(runtime.prompts), publication.timetable.zone, publication.now)
    return {
        **_line(runtime),
        "unavailable": False,
        "open_now": document["open_now"],
        "sentences": publication.sentences,
        "next_change": written.instant(document["next_change"]) if document["next_change"] else None,
        "announcements": document["announcements"],
        "weekly": [(day["label"].capitalize(), ", ".join(map(written.band, day["bands"])))
                   for day in document["weekly_schedule"].values()],
        "extensions": [{"starts": written.instant(item["starts_at"]), "ends": written.instant(item["ends_at"]),
                        "hours": "tutto il giorno" if item["all_day"] else ", ".join(map(written.band, item["bands"])),
                        "announcement": item["announcement"], "active": item["active"]}
                       for item in document["extensions"]],
        "closures": [{"starts": written.instant(item["starts_at"]), "ends": written.instant(item["ends_at"]),
                      "reason": item["reason"], "active": item["active"]}
                     for item in document["closures"]],
        "holidays": [(written.day(date.fromisoformat(item["date"])), item["name"]) for item in document["holidays"]],
        "days": PUBLISHED_DAYS,
        "generated_at": document["generated_at"],
        "generated_label": written.instant(document["generated_at"]),
    }


def _line(runtime: Runtime) -> dict[str, str]:
    """The line's name and its number as Italians write it ("800 840 840")."""
    number = phonenumbers.parse(runtime.settings.line.number, None)
    return {"line_name": runtime.settings.line.name,
            "line_number": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)}


@dataclass(frozen=True)
class _Writer:
    """Dates and times written for the page, in the line's zone, "oggi" and "domani" relative to now."""

    texts: Mapping[str, str]
    zone: ZoneInfo
    now: datetime

    def day(self, day: date) -> str:
        """A written date: "martedì 8 dicembre 2026"."""
        return f"{self.texts[f'weekday.{day.weekday()}']} {day.day} {self.texts[f'month.{day.month}']} {day.year}"

    def instant(self, iso_text: str) -> str:
        """A published ISO 8601 instant as "domani, ore 9:00" or "lunedì 30 novembre 2026, ore 18:00"."""
        local = datetime.fromisoformat(iso_text).astimezone(self.zone)
        today = self.now.astimezone(self.zone).date()
        relative = {today: self.texts["date.today"], today + timedelta(days=1): self.texts["date.tomorrow"]}
        return f"{relative.get(local.date()) or self.day(local.date())}, ore {local.hour}:{local.minute:02d}"

    @staticmethod
    def band(text: str) -> str:
        """A published band for reading: "09:00-18:00" -> "9:00–18:00"."""
        band = Band.parse(text)
        return "–".join(f"{minutes // 60}:{minutes % 60:02d}" for minutes in (band.start, band.end))
