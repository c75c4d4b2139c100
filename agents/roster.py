"""The operators' roster: add, list, remove, and the presence they set by hand."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from agents.presence import BUSY_STATES, Presence, PresencePolicy
from agents.transitions import SNAPSHOT_BY_ID, heal_expired, move
from storage.models.agents import Agent, AgentTopic
from tickets.status import Topic, parse_topic

MAX_NAME_LENGTH = 80
_CLIENT_IDENTITY = re.compile(r"[A-Za-z0-9_.@-]{1,120}")
_LANGUAGE = re.compile(r"[a-z]{2}")
ROUTABLE_TOPICS = tuple(topic for topic in Topic if topic is not Topic.OTHER)


class RosterError(ValueError):
    """A roster change that cannot be made; the message says why in one line."""


@dataclass(frozen=True)
class AgentView:
    """An operator as the roster shows them."""

    name: str
    phone: str | None
    client_identity: str | None
    topics: tuple[str, ...]
    languages: tuple[str, ...]
    state: Presence
    state_since: datetime
    missed_in_a_row: int

    @property
    def reach(self) -> str:
        """How the operator is called: a number or `client:IDENTITY`."""
        return self.phone or f"client:{self.client_identity}"


def clean_name(raw: str) -> str:
    """An operator's name, trimmed; RosterError if empty, too long or with control characters."""
    name = " ".join(raw.split())
    if not name:
        raise RosterError("the operator's name is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise RosterError(f"the operator's name is longer than {MAX_NAME_LENGTH} characters")
    if any(not character.isprintable() for character in name):
        raise RosterError("the operator's name contains control characters")
    return name


def clean_phone(raw: str) -> str:
    """A phone number in E.164 (+39...), normalized; RosterError otherwise."""
    try:
        number = phonenumbers.parse(raw.strip(), None)
    except phonenumbers.NumberParseException:
        raise RosterError(f"{raw!r} is not a phone number in E.164 form (for example +390612345678)") from None
    if not phonenumbers.is_valid_number(number):
        raise RosterError(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_client_identity(raw: str) -> str:
    """A Twilio Client identity (letters, digits, _ . @ -); RosterError otherwise."""
    identity = raw.strip().removeprefix("client:")
    if not _CLIENT_IDENTITY.fullmatch(identity):
        raise RosterError(f"{raw!r} is not a Twilio Client identity (1-120 letters, digits, _ . @ -)")
    return identity


def clean_topics(raw: Iterable[str]) -> tuple[str, ...]:
    """The topics an operator handles, without repeats; RosterError for an unknown one."""
    topics: list[str] = []
    for text in raw:
        try:
            topic = parse_topic(text)
        except ValueError:
            topic = None
        if topic is None or topic is Topic.OTHER:
            valid = ", ".join(t.value for t in ROUTABLE_TOPICS)
            raise RosterError(f"unknown topic {text!r}; valid topics: {valid}")
        if topic.value not in topics:
            topics.append(topic.value)
    return tuple(topics)


def clean_languages(raw: Iterable[str]) -> tuple[str, ...]:
    """Two-letter language codes (it, en, ...), without repeats; Italian when none is given."""
    languages: list[str] = []
    for text in raw:
        code = text.strip().lower()
        if not _LANGUAGE.fullmatch(code):
            raise RosterError(f"{text!r} is not a two-letter language code (it, en, de, ...)")
        if code not in languages:
            languages.append(code)
    return tuple(languages) or ("it",)


def find_agent(session: Session, name: str) -> Agent | None:
    """The operator on the roster with exactly this name, or None."""
    return session.scalars(select(Agent).where(Agent.name == name)).first()


def _require(session: Session, name: str) -> Agent:
    agent = find_agent(session, clean_name(name))
    if agent is None:
        raise RosterError(f"no operator named {name!r}")
    return agent


def add_agent(session: Session, name: str, *, phone: str | None = None, client_identity: str | None = None,
              topics: Sequence[str] = (), languages: Sequence[str] = (), now: datetime) -> Agent:
    """A new operator, offline until they say they are available; RosterError on bad input."""
    if (phone is None) == (client_identity is None):
        raise RosterError("give exactly one way to reach the operator: a phone number or a Client identity")
    agent = Agent(name=clean_name(name),
                  phone=clean_phone(phone) if phone is not None else None,
                  client_identity=clean_client_identity(client_identity) if client_identity is not None else None,
                  languages=" ".join(clean_languages(languages)),
                  state=Presence.OFFLINE.value, state_since=now, created_at=now,
                  topics=[AgentTopic(topic=topic) for topic in clean_topics(topics)])
    _refuse_duplicates(session, agent)
    session.add(agent)
    session.flush()
    return agent


def _refuse_duplicates(session: Session, agent: Agent) -> None:
    if find_agent(session, agent.name) is not None:
        raise RosterError(f"an operator named {agent.name!r} already exists")
    if agent.phone and session.scalars(select(Agent).where(Agent.phone == agent.phone)).first():
        raise RosterError(f"another operator is already reached at {agent.phone}")
    if agent.client_identity and session.scalars(
            select(Agent).where(Agent.client_identity == agent.client_identity)).first():
        raise RosterError(f"another operator already uses the Client identity {agent.client_identity!r}")


def remove_agent(session: Session, name: str, policy: PresencePolicy, now: datetime) -> None:
    """Take an operator off the roster (with their history); refused while they ring or talk."""
    heal_expired(session, policy, now)
    agent = _require(session, name)
    session.refresh(agent)
    if agent.state in BUSY_STATES:
        raise RosterError(f"{agent.name} is {agent.state.replace('_', ' ')}: remove them after the call")
    session.delete(agent)
    session.flush()


def set_presence(session: Session, name: str, state: Presence, policy: PresencePolicy, now: datetime) -> bool:
    """The state an operator sets by hand; False when they were already in it."""
    heal_expired(session, policy, now)
    agent = _require(session, name)
    seen = session.execute(SNAPSHOT_BY_ID, {"agent_id": agent.id}).one()
    if seen.state == state.value:
        return False
    if state is Presence.AVAILABLE and seen.state in BUSY_STATES:
        raise RosterError(f"{agent.name} is {seen.state.replace('_', ' ')}: they become available after the call")
    if not move(session, seen, state, "manual", now, missed_in_a_row=0):
        raise RosterError(f"{agent.name}'s presence changed meanwhile; try again")
    return True


def list_agents(session: Session, policy: PresencePolicy, now: datetime) -> list[AgentView]:
    """Every operator by name, with presence brought up to date first."""
    heal_expired(session, policy, now)
    session.flush()
    agents = session.scalars(select(Agent).options(selectinload(Agent.topics)).order_by(Agent.name)
                             .execution_options(populate_existing=True)).all()
    return [AgentView(name=agent.name, phone=agent.phone, client_identity=agent.client_identity,
                      topics=tuple(topic.topic for topic in agent.topics),
                      languages=tuple(agent.languages.split()), state=Presence(agent.state),
                      state_since=agent.state_since, missed_in_a_row=agent.missed_in_a_row)
            for agent in agents]


def presence_mark(session: Session) -> str:
    """A short text that changes whenever an operator joins, leaves, changes state or misses a call."""
    rows = session.execute(
        select(Agent.state, func.count(), func.max(Agent.state_since), func.sum(Agent.missed_in_a_row))
        .group_by(Agent.state).order_by(Agent.state)).all()
    return ";".join(f"{state}.{count}.{latest.isoformat() if latest else '-'}.{missed or 0}"
                    for state, count, latest, missed in rows)
