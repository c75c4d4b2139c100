"""«Nuova richiesta»: operators record a request that came by phone, e-mail, fax or letter; its code and receipt."""

from __future__ import annotations

import secrets
from typing import Any, Final
from zoneinfo import ZoneInfo

from flask import abort, g, redirect, render_template, request, url_for

from access.accounts import Role
from console.security import log_action, reading, requires, transaction
from console.web import blueprint
from contact_center.outgoing_mail import line_number_text, mail_setup
from contact_center.runtime import current_runtime
from tickets.codes import format_code_for_display
from tickets.intake import MAX_SUMMARY_CHARS
from tickets.repository import find_by_code
from tickets.status import Channel, Topic
from tickets.vocabulary import label
from written.form import CONSOLE_CHANNELS, TOKEN_FIELD, FormRules, check_form, console_channel
from written.submit import submission_of, submit_once, usable_token
from written.texts import error_text

FIELDS: Final = ("channel", "topic", "name", "email", "phone", "message")
MAX_FIELD_CHARS: Final = MAX_SUMMARY_CHARS + 1000
MAX_PREFILLED_PHONE: Final = 40


def _form_page(values: dict[str, str], errors: dict[str, str], token: str, status: int = 200) -> Any:
    settings = current_runtime().settings
    page = render_template("console/new_request.html", values=values, errors=errors, token=token,
                           channels=[(channel.value, label(channel)) for channel in CONSOLE_CHANNELS],
                           topics=[(topic.value, label(topic)) for topic in Topic],
                           mail_on=bool(settings.mail.smtp_url), max_chars=MAX_SUMMARY_CHARS)
    return page, status


@blueprint.get("/tickets/new")
@requires(Role.OPERATOR)
def new_request() -> Any:
    """The empty form; the channel, topic and phone may be preset (?channel=phone&topic=risks&phone=+39...).

    The console's call box links here with its call's number and topic.
    """
    preset = console_channel(request.args.get("channel", ""))
    topic = request.args.get("topic", "")
    values = {"channel": preset.value if preset else "", "send_code": "si",
              "topic": topic if topic in {member.value for member in Topic} else "",
              "phone": request.args.get("phone", "")[:MAX_PREFILLED_PHONE]}
    return _form_page(values, {}, secrets.token_urlsafe(18))


@blueprint.post("/tickets/new")
@requires(Role.OPERATOR)
def new_request_submit() -> Any:
    """Record the request once (a double click makes one ticket) and show its code."""
    rt = current_runtime()
    values = {name: request.form.get(name, "")[:MAX_FIELD_CHARS] for name in FIELDS}
    values["send_code"] = request.form.get("send_code", "")
    token = usable_token(request.form.get(TOKEN_FIELD)) or secrets.token_urlsafe(18)
    channel = console_channel(values["channel"])
    check = check_form(values, FormRules(max_message_chars=MAX_SUMMARY_CHARS, require_email=channel is Channel.EMAIL,
                                         require_consent=False))
    errors = {name: error_text(key, **numbers) for name, (key, numbers) in check.errors.items()}
    if channel is None:
        errors["channel"] = error_text("channel.invalid")
    if check.request is None or channel is None:
        return _form_page(values, errors, token, 400)
    send = values["send_code"] == "si" and bool(check.request.email)
    submission = submit_once(rt.sessions, check.request, channel=channel, token=token, now=rt.clock(),
                             created_by=g.account.name, code_length=rt.settings.tickets.code_length,
                             mail=mail_setup(rt.settings, site_url=request.host_url) if send else None)
    if not submission.repeated:
        with transaction() as db:
            log_action(db, "ticket_open", submission.code, channel.value)
    return redirect(url_for("console.ticket_recorded", code=submission.code))


def _ticket_or_404(code: str) -> Any:
    with reading() as db:
        ticket = find_by_code(db, code, current_runtime().settings.tickets.accepted_code_lengths)
        if ticket is None:
            abort(404)
        submission = submission_of(db, ticket.id)
    return ticket, submission


@blueprint.get("/tickets/<code>/recorded")
@requires(Role.OPERATOR)
def ticket_recorded(code: str) -> Any:
    """The new request's code, large and in groups, ready to read out; links to its receipt and page."""
    ticket, submission = _ticket_or_404(code)
    return render_template("console/new_request_done.html", ticket=ticket, spaced_code=format_code_for_display(code),
                           mailed=bool(submission and submission.code_mailed))


@blueprint.get("/tickets/<code>/receipt")
@requires(Role.OPERATOR)
def ticket_receipt(code: str) -> Any:
    """A printable receipt with the code, for a letter or a fax."""
    ticket, submission = _ticket_or_404(code)
    settings = current_runtime().settings
    zone = ZoneInfo(settings.line.timezone)
    status_page = f"{settings.web.public_base_url or request.host_url.rstrip('/')}/status"
    return render_template("console/receipt.html", ticket=ticket, spaced_code=format_code_for_display(code),
                           name=submission.citizen_name if submission else None, line_name=settings.line.name,
                           line_number=line_number_text(settings), status_page=status_page,
                           received=ticket.created_at.astimezone(zone).strftime("%d/%m/%Y alle %H:%M"))
