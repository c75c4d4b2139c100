"""Numbers, dates and durations written the Italian way, for the dossier's pages."""

from __future__ import annotations

from datetime import date
from typing import Final

NOT_AVAILABLE: Final = "n.d."
MINUS: Final = "\u2212"


def integer(value: int) -> str:
    """1234567 -> "1.234.567"."""
    return f"{value:,}".replace(",", ".").replace("-", MINUS)


def decimal(value: float | None, digits: int = 1) -> str:
    """12.25 -> "12,3" (thousands with dots)."""
    if value is None:
        return NOT_AVAILABLE
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".").replace("-", MINUS)


def percent(fraction: float | None) -> str:
    """0.734 -> "73,4 %"."""
    return NOT_AVAILABLE if fraction is None else f"{decimal(fraction * 100)} %"


def _signed(text: str, value: float) -> str:
    return f"+{text}" if value > 0 else text


def signed_percent(fraction: float) -> str:
    """A relative change: 0.125 -> "+12,5 %"."""
    return _signed(percent(fraction), fraction)


def signed_points(difference: float) -> str:
    """A difference of two rates in percentage points: 0.052 -> "+5,2 punti"."""
    return _signed(f"{decimal(difference * 100)} punti", difference)


def duration(seconds: float | None) -> str:
    """A duration in words: "45 s", "12 min", "3 h 05 min", "2 g 4 h"."""
    if seconds is None:
        return NOT_AVAILABLE
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes = round(total / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} g {hours} h"


def day(value: date) -> str:
    """20/05/2012."""
    return value.strftime("%d/%m/%Y")


def day_span(first: date, last: date) -> str:
    """"dal 20/05/2012 al 16/06/2012", or "il 20/05/2012" for a single day."""
    if first == last:
        return f"il {day(first)}"
    return f"dal {day(first)} al {day(last)}"
