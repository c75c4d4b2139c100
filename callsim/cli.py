"""An interactive phone: call the running app as Twilio would, with you as the caller."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import cast

import click

from callsim.call import Call
from callsim.model import DIAL_STATUSES, DialOutcome, DialStatus, Event, SimulatorError
from callsim.prompts import KEYS
from callsim.simulator import Simulator
from callsim.transport import HTTPTransport

GATHER_PROMPT = "Tasti o parole (invio = nessun tasto, h = riaggancia): "
RECORD_PROMPT = "Registrazione: secondi di messaggio [10], h = riaggancia: "
QUEUE_PROMPT = "In coda: secondi di attesa [30], o = risponde un operatore, h = riaggancia: "
HANG_UP = "h"
CONFIDENCE_MARK = "@"
SPOKEN_CONFIDENCE = 0.92  # what Twilio reports for words said clearly
_EVENT_FORMATS = {
    "play": "[audio {}]",
    "digits": "[toni {}]",
    "pause": "[pausa {} s]",
    "beep": "[beep]",
    "dial": "[inoltro a {}]",
    "enqueue": "[in coda: {}]",
    "bridged": "[operatore in linea per {} s]",
    "note": "[{}]",
    "spoken": "[hai detto: {}]",
}


def make_call_command(default_auth_token: Callable[[], str | None]) -> click.Command:
    """Build the `call` command; `default_auth_token` supplies the token when none is given."""

    @click.command("call")
    @click.option("--url", default="http://127.0.0.1:8000", show_default=True,
                  help="Where the app listens.")
    @click.option("--public-url", help="The URL requests are signed for (default: --url).")
    @click.option("--auth-token", envvar="TWILIO_AUTH_TOKEN",
                  help="Twilio auth token [default: $TWILIO_AUTH_TOKEN, then the config].")
    @click.option("--from", "from_", default="+393331234567", show_default=True,
                  help="The caller's number.")
    @click.option("--withheld", is_flag=True, help="Call with a withheld number (From=anonymous).")
    @click.option("--to", default="+39800840840", show_default=True, help="The number called.")
    @click.option("--dial-outcome", type=click.Choice(DIAL_STATUSES), default="completed",
                  show_default=True, help="How every <Dial> ends.")
    def call(
        url: str,
        public_url: str | None,
        auth_token: str | None,
        from_: str,
        withheld: bool,
        to: str,
        dial_outcome: str,
    ) -> None:
        """Call the app as Twilio would: hear its prompts, press keys or say words, leave a message.

        At a menu, type keys (`2`, `29819708#`) or words to say (`stato della richiesta`); end the
        words with `@0.4` to have them transcribed with a confidence of 0.4.
        """
        token = auth_token or default_auth_token()
        if not token:
            raise click.ClickException("no auth token: pass --auth-token or set TWILIO_AUTH_TOKEN")
        try:
            transport = HTTPTransport(url)
        except ValueError as error:
            raise click.ClickException(f"--url: {error}") from error
        simulator = Simulator(
            transport,
            token,
            public_url or url,
            on_dial=lambda _: DialOutcome(cast(DialStatus, dial_outcome)),
        )
        try:
            placed = simulator.dial("anonymous" if withheld else from_, to)
            if all(request.status is None for request in placed.requests):
                raise click.ClickException(f"cannot reach the app: {placed.requests[0].body}")
            _converse(placed)
        except (SimulatorError, ValueError) as error:
            raise click.ClickException(str(error)) from error
        if any(not error.warning for error in placed.errors):
            raise SystemExit(1)

    return call


def _converse(call: Call) -> None:
    """Print what the caller hears and ask for their answer until the call ends."""
    printer = _Printer(call)
    while not call.ended:
        printer.flush()
        if call.pending == "gather":
            _answer_gather(call, _ask(GATHER_PROMPT))
        elif call.pending == "record":
            _answer_record(call, _ask(RECORD_PROMPT))
        else:
            _answer_queue(call, _ask(QUEUE_PROMPT))
    printer.flush()
    click.echo(f"Chiamata terminata: {call.status} ({call.duration} s)")


def _ask(prompt: str) -> str:
    try:
        return str(click.prompt(prompt, default="", show_default=False, prompt_suffix="")).strip()
    except click.Abort:  # end of input: the caller is gone
        click.echo()
        return HANG_UP


def _spoken(answer: str) -> tuple[str, float]:
    """Words to say and their confidence: "operatore", or "due nove @0.4" for a doubtful transcription."""
    words, mark, confidence = answer.rpartition(CONFIDENCE_MARK)
    if not mark:
        return answer, SPOKEN_CONFIDENCE
    try:
        return words.strip(), float(confidence.replace(",", "."))
    except ValueError:
        return answer, SPOKEN_CONFIDENCE


def _answer_gather(call: Call, answer: str) -> None:
    if answer == HANG_UP:
        call.hang_up()
    elif not answer:
        call.silence()
    else:
        try:
            if all(key in KEYS for key in answer):
                call.press(answer)
            else:
                call.say(*_spoken(answer))
        except (ValueError, SimulatorError) as error:
            click.secho(str(error), fg="yellow")


def _answer_record(call: Call, answer: str) -> None:
    if answer == HANG_UP:
        call.hang_up()
    elif not answer or answer.isdigit():
        call.record(int(answer or 10))
    else:
        click.secho("scrivi un numero di secondi, oppure h", fg="yellow")


def _answer_queue(call: Call, answer: str) -> None:
    if answer == HANG_UP:
        call.hang_up()
    elif answer == "o":
        call.bridge_from_queue()
    elif not answer or answer.isdigit():
        call.advance_queue(int(answer or 30))
    else:
        click.secho("scrivi un numero di secondi, o, oppure h", fg="yellow")


class _Printer:
    """Prints the call's new transcript events and errors since the last flush."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.icons = (sys.stdout.encoding or "").lower().startswith("utf")
        self._printed = {"caller": 0, "operator": 0, "errors": 0}

    def flush(self) -> None:
        """Print whatever happened since the last call."""
        for line in self._new(self.call.transcript, "caller"):
            click.echo(line)
        for line in self._new(self.call.operator_transcript, "operator"):
            click.echo(f"  (operatore) {line}")
        for error in self.call.errors[self._printed["errors"]:]:
            text = " ".join(f"{error.code} {error.detail} ({error.url})".split())
            click.secho(("avviso " if error.warning else "errore ") + text, fg="red")
        self._printed["errors"] = len(self.call.errors)

    def _new(self, events: list[Event], key: str) -> list[str]:
        lines = [line for event in events[self._printed[key]:] if (line := self._line(event))]
        self._printed[key] = len(events)
        return lines

    def _line(self, event: Event) -> str | None:
        if event[0] == "say":
            return ("🔊 " if self.icons else "> ") + str(event[1])
        template = _EVENT_FORMATS.get(event[0])
        if template is None:
            return None
        values = [", ".join(value) if isinstance(value, list) else value for value in event[1:]]
        return str(template.format(*values))
