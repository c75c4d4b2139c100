"""The Italian sentences about opening hours, word for word."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from hours.model import STANDARD_SCHEDULE, WEEKDAY_KEYS, Closure, HoursError, LineState, WeeklySchedule
from hours.speech import TEMPLATES, describe_reopening, describe_schedule, describe_state, spoken_date
from hours.timetable import Timetable

ROME = ZoneInfo("Europe/Rome")


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
         microsecond: int = 0) -> datetime:
    """A Europe/Rome wall-clock datetime."""
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=ROME)


@pytest.mark.parametrize(("bands_by_day", "sentence"), [
    ({day: "09:00-18:00" for day in WEEKDAY_KEYS[:5]},
     "Il servizio è attivo dal lunedì al venerdì dalle 9 alle 18."),
    ({day: ["09:00-13:00", "14:00-18:00"] for day in WEEKDAY_KEYS[:5]},
     "Il servizio è attivo dal lunedì al venerdì dalle 9 alle 13 e dalle 14 alle 18."),
    ({day: "09:30-17:45" for day in WEEKDAY_KEYS[:5]},
     "Il servizio è attivo dal lunedì al venerdì dalle 9 e 30 alle 17 e 45."),
    ({day: "00:00-24:00" for day in WEEKDAY_KEYS},
     "Il servizio è attivo tutti i giorni 24 ore su 24."),
    ({day: "08:00-20:00" for day in WEEKDAY_KEYS},
     "Il servizio è attivo tutti i giorni dalle 8 alle 20."),
    ({**{day: "09:00-18:00" for day in WEEKDAY_KEYS[:5]}, "saturday": "09:00-13:00"},
     "Il servizio è attivo dal lunedì al venerdì dalle 9 alle 18 e il sabato dalle 9 alle 13."),
    ({**{day: "09:00-18:00" for day in WEEKDAY_KEYS[:5]}, "saturday": "10:00-16:00", "sunday": "10:00-16:00"},
     "Il servizio è attivo dal lunedì al venerdì dalle 9 alle 18 e il sabato e la domenica dalle 10 alle 16."),
    ({"monday": "09:00-18:00", "wednesday": "09:00-18:00", "friday": "00:00-24:00", "saturday": "00:00-24:00",
      "sunday": "00:00-24:00"},
     "Il servizio è attivo il lunedì dalle 9 alle 18, il mercoledì dalle 9 alle 18 "
     "e dal venerdì alla domenica 24 ore su 24."),
    ({"saturday": ["00:00-01:30", "20:00-24:00"], "sunday": "01:00-08:00"},
     "Il servizio è attivo il sabato da mezzanotte all'una e 30 e dalle 20 a mezzanotte "
     "e la domenica dall'una alle 8."),
])
def test_describe_schedule(bands_by_day: dict[str, str | list[str]], sentence: str) -> None:
    assert describe_schedule(WeeklySchedule.parse(bands_by_day)) == sentence


def test_describe_schedule_without_weekly_hours() -> None:
    assert describe_schedule(WeeklySchedule(((),) * 7)) == TEMPLATES["schedule.none"]


def test_templates_override_the_defaults() -> None:
    sentence = describe_schedule(STANDARD_SCHEDULE, templates={
        "schedule.sentence": "Orari: {periods}.", "weekday.0": "lun", "weekday.4": "ven"})
    assert sentence == "Orari: dal lun al ven dalle 9 alle 18."


def test_reopening_after_a_friday_evening() -> None:
    now = rome(2026, 11, 27, 19)
    reopening = Timetable(STANDARD_SCHEDULE).next_opening(now)
    assert reopening is not None
    assert describe_reopening(reopening, now) == "Riaprirà lunedì 30 novembre alle ore 9."


@pytest.mark.parametrize(("when", "now", "sentence"), [
    (rome(2026, 12, 1, 9), rome(2026, 11, 30, 19), "Riaprirà domani alle ore 9."),
    (rome(2026, 11, 30, 14, 30), rome(2026, 11, 30, 13), "Riaprirà oggi alle ore 14 e 30."),
    (rome(2026, 12, 1, 9), rome(2026, 11, 28, 10), "Riaprirà martedì primo dicembre alle ore 9."),
    (rome(2027, 1, 4, 9), rome(2026, 12, 31, 18), "Riaprirà lunedì 4 gennaio alle ore 9."),
    (rome(2026, 12, 1, 0), rome(2026, 11, 30, 19), "Riaprirà alla mezzanotte tra oggi e domani."),
    (rome(2026, 12, 5, 0), rome(2026, 11, 30, 19),
     "Riaprirà alla mezzanotte tra venerdì 4 dicembre e sabato 5 dicembre."),
    (datetime(2026, 11, 30, 23, 0, tzinfo=UTC), datetime(2026, 11, 30, 22, 30, tzinfo=UTC),
     "Riaprirà alla mezzanotte tra oggi e domani."),
])
def test_describe_reopening(when: datetime, now: datetime, sentence: str) -> None:
    assert describe_reopening(when, now) == sentence


def test_describe_reopening_when_the_line_never_reopens() -> None:
    closed = Timetable(WeeklySchedule(((),) * 7))
    now = rome(2026, 11, 27, 19)
    assert describe_reopening(closed.next_opening(now), now) == "Al momento non è prevista una data di riapertura."


def test_describe_reopening_rejects_naive_datetimes() -> None:
    with pytest.raises(HoursError, match="naive"):
        describe_reopening(datetime(2026, 12, 1, 9), rome(2026, 11, 30, 19))


@pytest.mark.parametrize(("day", "plain", "with_article"), [
    (date(2026, 11, 3), "3 novembre", "il 3 novembre"),
    (date(2026, 12, 1), "primo dicembre", "il primo dicembre"),
    (date(2026, 3, 8), "8 marzo", "l'8 marzo"),
    (date(2026, 11, 11), "11 novembre", "l'11 novembre"),
    (date(2026, 8, 18), "18 agosto", "il 18 agosto"),
])
def test_spoken_date(day: date, plain: str, with_article: str) -> None:
    assert spoken_date(day) == plain
    assert spoken_date(day, with_article=True) == with_article


def test_describe_state_on_christmas_uses_the_library_name() -> None:
    state = Timetable(STANDARD_SCHEDULE).state_at(rome(2026, 12, 25, 10))
    assert describe_state(state) == "Oggi il servizio è chiuso per Natale."


def test_describe_state_on_easter_monday_and_a_joined_name() -> None:
    timetable = Timetable(STANDARD_SCHEDULE)
    assert describe_state(timetable.state_at(rome(2027, 3, 29, 10))) == (
        "Oggi il servizio è chiuso per Lunedì dell'Angelo.")
    joined = LineState(False, "holiday", holiday_name="Giorno dell'unità nazionale; Ognissanti")
    assert describe_state(joined) == "Oggi il servizio è chiuso per Giorno dell'unità nazionale e Ognissanti."


def test_describe_state_for_closures() -> None:
    closure = Closure("c1", rome(2026, 11, 30, 10), rome(2026, 11, 30, 12), "manutenzione programmata.")
    state = Timetable(STANDARD_SCHEDULE, closures=(closure,)).state_at(rome(2026, 11, 30, 11))
    assert describe_state(state) == "Il servizio è temporaneamente chiuso: manutenzione programmata."
    assert describe_state(LineState(False, "closure", closure_id="c2")) == "Il servizio è temporaneamente chiuso."


@pytest.mark.parametrize(("state", "sentence"), [
    (LineState(False, "holiday"), "Oggi il servizio è chiuso."),
    (LineState(False, "outside_hours"), "In questo momento il servizio è chiuso."),
    (LineState(True, "weekly"), "Il servizio è attivo."),
    (LineState(True, "extension", extension_id="x1"), "Il servizio è attivo in orario straordinario."),
])
def test_describe_state_for_every_other_reason(state: LineState, sentence: str) -> None:
    assert describe_state(state) == sentence
