"""How the console writes times, durations, numbers and labels, in Italian, in the line's time zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import phonenumbers

from access.vocabulary import AUDIT_ACTIONS, ROLE_LABELS
from agents.presence import PRESENCE_LABELS
from contact_center.runtime import current_runtime
from hours.vocabulary import TEMPLATES as SCHEDULE_TEMPLATES
from tickets.status import Channel, TicketStatus, Topic
from tickets.vocabulary import LANGUAGE_CODES, label, language_label
from voicemail.vocabulary import TEMPLATES as CALLBACK_TEMPLATES

LABELS: dict[str, dict[str, str]] = {
    "ticket_status": {status.value: label(status) for status in TicketStatus},
    "topic": {topic.value: label(topic) for topic in Topic},
    "channel": {channel.value: label(channel) for channel in Channel},
    "role": dict(ROLE_LABELS),
    "callback_view": {"due": "da richiamare adesso", "waiting": "in attesa di un nuovo tentativo",
                      "claimed": "in corso", "done": "completate", "unreachable": "non raggiungibili",
                      "mine": "mie (in carico a me)"},
    "presence": {state.value: text for state, text in PRESENCE_LABELS.items()},
    "language": {code: language_label(code) for code in LANGUAGE_CODES},
}
LABELS["audit_action"] = dict(AUDIT_ACTIONS)
for _prefix, _templates in (("callback", CALLBACK_TEMPLATES), ("schedule", SCHEDULE_TEMPLATES)):
    for _key, _text in _templates.items():
        _kind, _value = _key.split(".", 1)
        LABELS.setdefault(f"{_prefix}_{_kind}", {})[_value] = _text


def zone() -> ZoneInfo:
    """The line's time zone."""
    return ZoneInfo(current_runtime().settings.line.timezone)


def local_time(moment: datetime | None) -> str:
    """'27/11/2026 21:15' in the line's time zone ('-' for none)."""
    return moment.astimezone(zone()).strftime("%d/%m/%Y %H:%M") if moment else "-"


def duration(span: timedelta | float | int | None) -> str:
    """A span of time as operators say it: '45 s', '12 min', '3 h 5 min', '2 g 4 h'."""
    if span is None:
        return "-"
    seconds = int(span.total_seconds() if isinstance(span, timedelta) else span)
    seconds = max(seconds, 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60 % 60, seconds // 3600 % 24, seconds // 86400
    if days:
        return f"{days} g {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def phone(number: str | None) -> str:
    """A number in its national or international written form ('-' for none)."""
    if not number:
        return "-"
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if parsed.country_code == 39
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(parsed, style)


_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)*\b")
_DETAIL_WORDS: dict[str, str] = {**LABELS["ticket_status"], **LABELS["presence"], **LABELS["role"],
                                 **LABELS.get("callback_outcome", {})}


def audit_action(code: str) -> str:
    """An audit log action in Italian (an unknown code as it is)."""
    return LABELS["audit_action"].get(code, code)


def audit_detail(detail: str) -> str:
    """An audit log detail with the status, presence, role and outcome codes it names put in Italian."""
    return _CODE.sub(lambda match: _DETAIL_WORDS.get(match[0], match[0]), detail)
