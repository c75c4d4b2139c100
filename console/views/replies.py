"""Answers by e-mail from a ticket's page («Rispondi»), the ticket's mails, and the supervisors' outbox."""

from __future__ import annotations

from typing import Any, Final

from flask import abort, flash, g, redirect, render_template, request, url_for

from access.accounts import Role
from console.security import log_action, reading, requires, transaction
from console.web import blueprint
from contact_center.outgoing_mail import mail_setup
from contact_center.runtime import current_runtime
from mail.outbox import FAILED, backlog, retry_failed
from storage.models import Ticket
from tickets.repository import find_by_code
from written.replies import MAX_REPLY_CHARS, ReplyError, can_reply, outbox_page, replies_of, reply, ticket_mails
from written.submit import submission_of
from written.texts import error_text, labels

OUTBOX_PAGE: Final = 50


@blueprint.app_template_global()
def written_panel(ticket: Ticket) -> dict[str, Any]:
    """What a ticket's page shows of the written channel: the writer's name, answers, mails, the reply form."""
    with reading() as db:
        submission = submission_of(db, ticket.id)
        answers = replies_of(db, ticket.id)
        mails = ticket_mails(db, ticket.id)
    return {"name": submission.citizen_name if submission else None, "replies": answers, "mails": mails,
            "mail_on": bool(current_runtime().settings.mail.smtp_url), "can_reply": can_reply(ticket),
            "max_reply": MAX_REPLY_CHARS, "mail_kind": labels("mail_kind"), "mail_status": labels("mail_status")}


@blueprint.post("/tickets/<code>/reply")
@requires(Role.OPERATOR)
def ticket_reply(code: str) -> Any:
    """Send an answer by e-mail, keep it with the ticket, and close the ticket if asked."""
    rt = current_runtime()
    text = request.form.get("reply", "")[:MAX_REPLY_CHARS + 1000]
    close = request.form.get("close") == "si"
    problem = None
    with transaction() as db:
        ticket = find_by_code(db, code, rt.settings.tickets.accepted_code_lengths, for_update=True)
        if ticket is None:
            abort(404)
        try:
            _, closed = reply(db, ticket, text, author=g.account.name, close=close, now=rt.clock(),
                              mail=mail_setup(rt.settings, site_url=request.host_url))
        except ReplyError as error:
            problem = error_text(error.key, max=MAX_REPLY_CHARS)
        else:
            log_action(db, "ticket_reply", ticket.code, "risposta e chiusura" if closed else "risposta")
    if problem:
        flash(problem, "error")
    elif close and not closed:
        flash(error_text("reply.transition"), "success")
    else:
        flash("Risposta inviata al cittadino" + (" e richiesta chiusa." if closed else "."), "success")
    return redirect(url_for("console.ticket", code=code) + "#risposte")


@blueprint.get("/mail")
@requires(Role.SUPERVISOR)
def outbox() -> Any:
    """The outbox: how many mails wait, those the server refused (with «Riprova»), the latest ones."""
    with reading() as db:
        counts = backlog(db)
        failed = outbox_page(db, FAILED, OUTBOX_PAGE)
        latest = outbox_page(db, None, OUTBOX_PAGE)
    endpoint = current_runtime().settings.mail.endpoint
    return render_template("console/outbox.html", counts=counts, failed=failed, latest=latest,
                           server=endpoint.describe() if endpoint else None, mail_kind=labels("mail_kind"),
                           mail_status=labels("mail_status"))


@blueprint.post("/mail/<int:mail_id>/retry")
@requires(Role.SUPERVISOR)
def outbox_retry(mail_id: int) -> Any:
    """Put a failed mail back in the queue."""
    with transaction() as db:
        done = retry_failed(db, mail_id, now=current_runtime().clock())
        if done:
            log_action(db, "mail_retry", str(mail_id))
    flash("La e-mail tornerà in coda per un nuovo invio." if done else "Questa e-mail non è tra quelle non recapitate.",
          "success" if done else "error")
    return redirect(url_for("console.outbox"))
