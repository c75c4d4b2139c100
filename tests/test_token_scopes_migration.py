"""Migration 0013: existing tokens get the scopes their use implies, on both databases."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import make_engine
from storage.migrate import upgrade


def test_existing_tokens_get_the_scopes_their_use_implies(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0004_tickets_access")
    upgrade(engine, "0007_console")
    with engine.begin() as connection:
        for n, name in enumerate(["sito-web", "crm", "centralino"]):
            connection.execute(text("INSERT INTO api_tokens (id, name, token_hash, created_at) "
                                    "VALUES (:id, :name, :hash, CURRENT_TIMESTAMP)"),
                               {"id": n + 1, "name": name, "hash": f"{n:064d}"})
        for actor, action in [("api:crm", "callback_claim"), ("api:crm", "callback_outcome"),
                              ("api:centralino", "presence"), ("Olga", "presence")]:
            connection.execute(text("INSERT INTO console_audit_log (at, actor, action, target, detail, address) "
                                    "VALUES (CURRENT_TIMESTAMP, :actor, :action, '', '', '')"),
                               {"actor": actor, "action": action})
    upgrade(engine)
    with engine.connect() as connection:
        scopes = dict(connection.execute(text("SELECT name, scopes FROM api_tokens")).all())
    assert scopes == {"sito-web": "tickets:read tickets:write",
                      "crm": "tickets:read tickets:write console:read callbacks:work",
                      "centralino": "tickets:read tickets:write console:read presence:write"}
    engine.dispose()
