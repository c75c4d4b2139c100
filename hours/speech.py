"""The sentences the IVR speaks about opening hours: schedule, reopening, state, dates.

Every word comes from TEMPLATES (Italian); each function takes an optional `templates` mapping
whose entries override the defaults, so the prompts files supply any of them, the English ones
included. An hour is said through "time.hour" and "time.with_minutes", which may use {hour}
(0-23), {hour12} (1-12), {meridiem} ("time.am" or "time.pm") and {minutes}: "14 e 30", "2:30 pm".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Final

from hours.clock import to_utc, zone_named
from hours.model import DEFAULT_TIMEZONE, MINUTES_PER_DAY, Band, LineState, WeeklySchedule

# ---- Wording: every text in one place, keyed "<kind>.<value>"; callers may override any subset.
TEMPLATES: Final[Mapping[str, str]] = MappingProxyType({
    "schedule.sentence": "Il servizio è attivo {periods}.",
    "schedule.none": "Il servizio è attivo solo negli orari straordinari annunciati.",
    "schedule.every_day": "tutti i giorni",
    "schedule.day": "il {day}",
    "schedule.day_feminine": "la {day}",
    "schedule.two_days": "{first} e {second}",
    "schedule.day_range": "dal {first} al {last}",
    "schedule.day_range_to_feminine": "dal {first} alla {last}",
    "schedule.all_day": "24 ore su 24",
    "schedule.band": "{start} {end}",
    "schedule.band_separator": " e ",
    "schedule.group_separator": ", ",
    "schedule.last_group_separator": " e ",
    "time.from": "dalle {time}",
    "time.from_one": "dall'{time}",
    "time.from_midnight": "da {time}",
    "time.to": "alle {time}",
    "time.to_one": "all'{time}",
    "time.to_midnight": "a {time}",
    "time.hour": "{hour}",
    "time.with_minutes": "{hour} e {minutes}",
    "time.am": "",
    "time.pm": "",
    "time.one": "una",
    "time.midnight": "mezzanotte",
    "date.day_month": "{day} {month}",
    "date.first": "primo",
    "date.article": "il {date}",
    "date.article_elided": "l'{date}",
    "date.weekday": "{weekday} {date}",
    "date.today": "oggi",
    "date.tomorrow": "domani",
    "reopening.sentence": "Riaprirà {day} alle ore {time}.",
    "reopening.midnight": "Riaprirà alla mezzanotte tra {day_before} e {day}.",
    "reopening.unknown": "Al momento non è prevista una data di riapertura.",
    "state.weekly": "Il servizio è attivo.",
    "state.extension": "Il servizio è attivo in orario straordinario.",
    "state.closure": "Il servizio è temporaneamente chiuso.",
    "state.closure_reason": "Il servizio è temporaneamente chiuso: {reason}.",
    "state.holiday": "Oggi il servizio è chiuso per {holiday}.",
    "state.holiday_unnamed": "Oggi il servizio è chiuso.",
    "state.outside_hours": "In questo momento il servizio è chiuso.",
    "state.holiday_name_separator": " e ",
    "weekday.0": "lunedì",
    "weekday.1": "martedì",
    "weekday.2": "mercoledì",
    "weekday.3": "giovedì",
    "weekday.4": "venerdì",
    "weekday.5": "sabato",
    "weekday.6": "domenica",
    "month.1": "gennaio",
    "month.2": "febbraio",
    "month.3": "marzo",
    "month.4": "aprile",
    "month.5": "maggio",
    "month.6": "giugno",
    "month.7": "luglio",
    "month.8": "agosto",
    "month.9": "settembre",
    "month.10": "ottobre",
    "month.11": "novembre",
    "month.12": "dicembre",
})
# ---- Grammar, not wording: Sunday takes feminine articles; 8 and 11 elide "il" to "l'".
_FEMININE_WEEKDAYS: Final = frozenset({6})
_ELIDED_DAYS_OF_MONTH: Final = frozenset({8, 11})
_LIBRARY_NAME_SEPARATOR: Final = "; "


def _texts(templates: Mapping[str, str] | None) -> Mapping[str, str]:
    """The default texts with the given overrides on top."""
    return {**TEMPLATES, **(templates or {})}


def weekday_name(weekday: int, templates: Mapping[str, str] | None = None) -> str:
    """The Italian name of a weekday (0 is Monday)."""
    return _texts(templates)[f"weekday.{weekday}"]


def spoken_date(day: date, templates: Mapping[str, str] | None = None, with_article: bool = False) -> str:
    """The date as spoken: "3 novembre", "primo dicembre"; with the article "il 3 novembre", "l'8 marzo"."""
    texts = _texts(templates)
    number = texts["date.first"] if day.day == 1 else str(day.day)
    spoken = texts["date.day_month"].format(day=number, month=texts[f"month.{day.month}"])
    if not with_article:
        return spoken
    article = "date.article_elided" if day.day in _ELIDED_DAYS_OF_MONTH else "date.article"
    return texts[article].format(date=spoken)


def describe_schedule(schedule: WeeklySchedule, templates: Mapping[str, str] | None = None) -> str:
    """The weekly schedule as one sentence, consecutive days with the same bands grouped."""
    texts = _texts(templates)
    groups = [group for group in _day_groups(schedule) if schedule.bands_on(group[0])]
    if not groups:
        return texts["schedule.none"]
    periods = [f"{_days_phrase(group, texts)} {_bands_phrase(schedule.bands_on(group[0]), texts)}"
               for group in groups]
    return texts["schedule.sentence"].format(periods=_join(periods, texts))


def describe_reopening(when: datetime | None, now: datetime, templates: Mapping[str, str] | None = None,
                       timezone: str = DEFAULT_TIMEZONE) -> str:
    """When the line reopens, in local time relative to now: "Riaprirà domani alle ore 9." (None: unknown)."""
    texts = _texts(templates)
    if when is None:
        return texts["reopening.unknown"]
    zone = zone_named(timezone)
    local_when = to_utc(when).astimezone(zone)
    today = to_utc(now).astimezone(zone).date()
    day = local_when.date()
    if local_when.hour == 0 and local_when.minute == 0:
        return texts["reopening.midnight"].format(
            day_before=_relative_day(day - timedelta(days=1), today, texts),
            day=_relative_day(day, today, texts))
    return texts["reopening.sentence"].format(
        day=_relative_day(day, today, texts), time=_clock(local_when.hour, local_when.minute, texts))


def describe_state(state: LineState, templates: Mapping[str, str] | None = None) -> str:
    """Why the line is open or closed: "Oggi il servizio è chiuso per Natale."."""
    texts = _texts(templates)
    if state.reason == "closure" and state.closure_reason:
        return texts["state.closure_reason"].format(reason=state.closure_reason.strip().rstrip("."))
    if state.reason == "holiday" and state.holiday_name:
        holiday = state.holiday_name.replace(_LIBRARY_NAME_SEPARATOR, texts["state.holiday_name_separator"])
        return texts["state.holiday"].format(holiday=holiday)
    if state.reason == "holiday":
        return texts["state.holiday_unnamed"]
    return texts[f"state.{state.reason}"]


def _day_groups(schedule: WeeklySchedule) -> list[list[int]]:
    """Runs of consecutive weekdays (Monday to Sunday) sharing the same bands."""
    groups: list[list[int]] = []
    for weekday in range(7):
        if groups and schedule.bands_on(groups[-1][-1]) == schedule.bands_on(weekday):
            groups[-1].append(weekday)
        else:
            groups.append([weekday])
    return groups


def _days_phrase(group: Sequence[int], texts: Mapping[str, str]) -> str:
    """The days of a group: "tutti i giorni", "il sabato", "dal lunedì al venerdì"..."""
    if len(group) == 7:
        return texts["schedule.every_day"]
    if len(group) == 1:
        return _on_day(group[0], texts)
    if len(group) == 2:
        return texts["schedule.two_days"].format(first=_on_day(group[0], texts), second=_on_day(group[1], texts))
    key = "schedule.day_range_to_feminine" if group[-1] in _FEMININE_WEEKDAYS else "schedule.day_range"
    return texts[key].format(first=texts[f"weekday.{group[0]}"], last=texts[f"weekday.{group[-1]}"])


def _on_day(weekday: int, texts: Mapping[str, str]) -> str:
    """A weekday with its article: "il lunedì", "la domenica"."""
    key = "schedule.day_feminine" if weekday in _FEMININE_WEEKDAYS else "schedule.day"
    return texts[key].format(day=texts[f"weekday.{weekday}"])


def _bands_phrase(bands: Sequence[Band], texts: Mapping[str, str]) -> str:
    """A day's bands: "24 ore su 24" or "dalle 9 alle 13 e dalle 14 alle 18"."""
    if len(bands) == 1 and bands[0].is_all_day:
        return texts["schedule.all_day"]
    return texts["schedule.band_separator"].join(
        texts["schedule.band"].format(start=_time_phrase("from", band.start, texts),
                                      end=_time_phrase("to", band.end, texts))
        for band in bands)


def _time_phrase(preposition: str, minutes: int, texts: Mapping[str, str]) -> str:
    """A band edge with its preposition: "dalle 9 e 30", "dall'una", "a mezzanotte"."""
    hour, minute = divmod(minutes % MINUTES_PER_DAY, 60)
    if hour == 0:
        key, spoken_hour = f"time.{preposition}_midnight", texts["time.midnight"]
    elif hour == 1:
        key, spoken_hour = f"time.{preposition}_one", texts["time.one"]
    else:
        key, spoken_hour = f"time.{preposition}", _hour(hour, texts)
    spoken = _with_minutes(spoken_hour, hour, minute, texts) if minute else spoken_hour
    return texts[key].format(time=spoken)


def _hour_fields(hour: int, texts: Mapping[str, str]) -> dict[str, object]:
    """What an hour's templates may use: the 24-hour and 12-hour numbers and the meridiem."""
    return {"hour12": (hour - 1) % 12 + 1, "meridiem": texts["time.am" if hour < 12 else "time.pm"]}


def _hour(hour: int, texts: Mapping[str, str]) -> str:
    """A whole hour: "9", "18" (or "6 pm" with English templates)."""
    return texts["time.hour"].format(hour=hour, **_hour_fields(hour, texts))


def _with_minutes(spoken_hour: str, hour: int, minute: int, texts: Mapping[str, str]) -> str:
    """An hour and its minutes: "14 e 30", "mezzanotte e 15" (or "2:30 pm")."""
    return texts["time.with_minutes"].format(hour=spoken_hour, minutes=minute, **_hour_fields(hour, texts))


def _clock(hour: int, minute: int, texts: Mapping[str, str]) -> str:
    """The hour in numbers, as after "alle ore": "9", "14 e 30"."""
    spoken_hour = _hour(hour, texts)
    return _with_minutes(spoken_hour, hour, minute, texts) if minute else spoken_hour


def _relative_day(day: date, today: date, texts: Mapping[str, str]) -> str:
    """A day relative to today: "oggi", "domani" or "lunedì 30 novembre"."""
    if day == today:
        return texts["date.today"]
    if day == today + timedelta(days=1):
        return texts["date.tomorrow"]
    return texts["date.weekday"].format(weekday=texts[f"weekday.{day.weekday()}"],
                                        date=spoken_date(day, texts))


def _join(phrases: Sequence[str], texts: Mapping[str, str]) -> str:
    """Phrases joined as a list: "a", "a e b", "a, b e c"."""
    if len(phrases) == 1:
        return phrases[0]
    head = texts["schedule.group_separator"].join(phrases[:-1])
    return f"{head}{texts['schedule.last_group_separator']}{phrases[-1]}"
