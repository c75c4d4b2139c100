"""`contact-center agents ...`: the operators' roster and their presence from the terminal, in Italian."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import click

from agents.presence import PRESENCE_LABELS, Presence, parse_manual_state
from agents.roster import AgentView, RosterError, add_agent, list_agents, remove_agent, set_presence
from contact_center.cli.common import CliState, local_time, pass_state
from tickets.status import Topic
from tickets.vocabulary import label

EVERY_TOPIC = "tutti gli argomenti"


def _as_dict(view: AgentView, zone: ZoneInfo) -> dict[str, object]:
    return {
        "name": view.name,
        "phone": view.phone,
        "client_identity": view.client_identity,
        "topics": list(view.topics),
        "languages": list(view.languages),
        "state": view.state.value,
        "since": view.state_since.astimezone(zone).isoformat(timespec="seconds"),
        "missed_in_a_row": view.missed_in_a_row,
    }


def _topics(topics: tuple[str, ...]) -> str:
    """The Italian names of the operator's topics (none: every topic)."""
    return ", ".join(label(Topic(topic)) for topic in topics) or EVERY_TOPIC


@click.group("agents")
def agents() -> None:
    """The operators: roster and presence."""


@agents.command("add")
@click.argument("name")
@click.option("--phone", metavar="E164", help="The operator's phone number, e.g. +390612345678.")
@click.option("--client", "client_identity", metavar="IDENTITY", help="The operator's Twilio Client identity.")
@click.option("--topic", "topics", multiple=True, metavar="TOPIC",
              help="A topic the operator handles (repeatable; none: every topic).")
@click.option("--language", "languages", multiple=True, metavar="CODE",
              help="A language the operator speaks (repeatable; default it).")
@pass_state
def add_command(state: CliState, name: str, phone: str | None, client_identity: str | None,
                topics: tuple[str, ...], languages: tuple[str, ...]) -> None:
    """Add an operator (offline until `agents status NAME available`)."""
    runtime = state.migrated_runtime()
    try:
        with runtime.sessions.begin() as session:
            agent = add_agent(session, name, phone=phone, client_identity=client_identity, topics=topics,
                              languages=languages, now=runtime.clock())
            reach = agent.phone or f"client:{agent.client_identity}"
            summary = f"operatore {agent.name} aggiunto ({reach}): {PRESENCE_LABELS[Presence.OFFLINE]}"
    except RosterError as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary)


@agents.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@pass_state
def list_command(state: CliState, as_json: bool) -> None:
    """List the operators with their presence (stale states released first)."""
    runtime = state.migrated_runtime()
    zone = ZoneInfo(runtime.settings.line.timezone)
    with runtime.sessions.begin() as session:
        views = list_agents(session, runtime.settings.routing.presence_policy(), runtime.clock())
    if as_json:
        click.echo(json.dumps([_as_dict(view, zone) for view in views], ensure_ascii=False, indent=2))
        return
    if not views:
        click.echo("nessun operatore: aggiungine uno con `contact-center agents add NOME --phone +39...`")
        return
    click.echo(f"{'NOME':20}  {'RECAPITO':22}  {'STATO':20}  {'DAL':16}  {'PERSE':>5}  {'LINGUE':6}  ARGOMENTI")
    for view in views:
        click.echo(f"{view.name[:20]:20}  {view.reach[:22]:22}  {PRESENCE_LABELS[view.state]:20}  "
                   f"{local_time(view.state_since, zone):16}  {view.missed_in_a_row:>5}  "
                   f"{' '.join(view.languages):6}  {_topics(view.topics)}")


@agents.command("remove")
@click.argument("name")
@pass_state
def remove_command(state: CliState, name: str) -> None:
    """Take an operator off the roster (refused while they ring or talk)."""
    runtime = state.migrated_runtime()
    try:
        with runtime.sessions.begin() as session:
            remove_agent(session, name, runtime.settings.routing.presence_policy(), runtime.clock())
    except RosterError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"operatore {' '.join(name.split())} rimosso")


@agents.command("status")
@click.argument("name")
@click.argument("status", metavar="available|away|offline")
@pass_state
def status_command(state: CliState, name: str, status: str) -> None:
    """Set an operator's presence by hand."""
    runtime = state.migrated_runtime()
    try:
        presence = parse_manual_state(status)
        with runtime.sessions.begin() as session:
            policy = runtime.settings.routing.presence_policy()
            changed = set_presence(session, name, presence, policy, runtime.clock())
    except (RosterError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    shown = " ".join(name.split())
    click.echo(f"{shown}: {'ora' if changed else 'già'} {PRESENCE_LABELS[presence]}")


def register(cli: click.Group) -> None:
    """Add the agents commands."""
    cli.add_command(agents)

