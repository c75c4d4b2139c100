"""The dossier counts written requests by topic and the time to their first answer, on both databases."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from contact_center.config import settings_from_mapping
from contact_center.schedule import configured_timetable
from figures.dossier import build_dossier, dossier_html
from figures.period import Period
from figures.queries import written_figures
from storage.models import TicketReply
from tests.figures_dataset import ROME, migrated_engine
from tickets.repository import create_ticket
from tickets.status import Channel, Topic

PERIOD = Period(date(2026, 5, 20), date(2026, 5, 22), ROME)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=ROME)


def load(session: Session) -> None:
    def ticket(channel: Channel, topic: Topic, opened: datetime, *answers: datetime) -> None:
        made = create_ticket(session, channel=channel, topic=topic, email="x@example.org", now=opened)
        session.flush()
        for answered in answers:
            session.add(TicketReply(ticket_id=made.id, sent_at=answered, author="Olga", body="Risposta"))

    ticket(Channel.WEB, Topic.RISKS, at(20, 10), at(20, 12), at(20, 11))    # first answer after 3,600 s
    ticket(Channel.EMAIL, Topic.RISKS, at(21, 10), at(21, 10, 30))          # 1,800 s
    ticket(Channel.FAX, Topic.LEGISLATION, at(22, 9))                       # not answered yet
    ticket(Channel.LETTER, Topic.OTHER, at(22, 23, 59), at(23, 9))          # 32,460 s, answered after the period
    ticket(Channel.PHONE, Topic.RISKS, at(20, 9), at(20, 9, 5))             # not written
    ticket(Channel.WEB, Topic.CAMPAIGNS, at(19, 23, 59), at(20, 1))         # before the period


def test_written_requests_by_topic_and_time_to_first_answer(database_url: str) -> None:
    engine = migrated_engine(database_url)
    try:
        with Session(engine) as session:
            load(session)
            session.commit()
            figures = written_figures(session, PERIOD)
            assert figures.total == 4 and figures.unanswered == 1
            assert figures.by_topic == {"risks": 2, "legislation": 1, "department": 0, "national_service": 0,
                                        "campaigns": 0, "other": 1}
            assert figures.first_answer.count == 3
            assert figures.first_answer.median == 3600
            assert figures.first_answer.p90 == 3600 + 0.8 * (32460 - 3600)
            timetable = configured_timetable(settings_from_mapping({}))
            html = dossier_html(build_dossier(session, PERIOD, timetable, now=at(23, 12)))
    finally:
        engine.dispose()
    assert "<h2>Richieste scritte</h2>" in html
    assert "<caption>Richieste scritte per argomento</caption>" in html
    assert "<tr><td>Tempo mediano fino alla prima risposta</td><td class=\"n\">1 h 00 min</td>" in html
