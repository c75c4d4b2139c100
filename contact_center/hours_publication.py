"""The opening hours as published: the JSON document, its Italian sentences, and the words and dates
of the page (`/hours.html`, and its preview in the console's crisis settings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import phonenumbers

from contact_center.runtime import Runtime
from contact_center.schedule import HoursSentences, sentences_at, speech_templates
from hours import Band, Timetable, published_timetable

PUBLISHED_DAYS: Final = 60


@dataclass(frozen=True)
class Publication:
    """The timetable published at an instant: the JSON document, and what the page needs besides."""

    document: dict[str, Any]
    timetable: Timetable
    now: datetime
    sentences: HoursSentences


def publish(runtime: Runtime) -> Publication:
    """The timetable in force now, published for the next days, with the Italian sentences."""
    now = runtime.clock()
    timetable = runtime.schedule.current(now)
    sentences = sentences_at(timetable, timetable.state_at(now), now, speech_templates(runtime.prompts))
    document = published_timetable(timetable, now, days=PUBLISHED_DAYS)
    document["sentences"] = {"state": sentences.state, "reopening": sentences.reopening,
                             "schedule": sentences.schedule}
    return Publication(document, timetable, now, sentences)


# ---- The page's words and dates, in Italian (the texts around them are in templates/hours/page.html).

def page_context(runtime: Runtime, publication: Publication) -> dict[str, Any]:
    """What templates/hours/page.html shows, read from the published document."""
    document = publication.document
    written = _Writer(speech_templates(runtime.prompts), publication.timetable.zone, publication.now)
    return {
        **line_names(runtime),
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


def line_names(runtime: Runtime) -> dict[str, str]:
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
