"""API tokens get scopes; existing tokens get the scopes their use implies

Revision ID: 0013_token_scopes
Revises: 0010_address_limits
Create Date: 2026-12-06 01:10:00

Existing tokens were made for the tickets API (the only use the README documented), so each gets
`tickets:read tickets:write`. A token that the console's audit log shows acting through
/api/console/ also gets what those actions need: `callback_claim` or `callback_outcome` give
`console:read callbacks:work`, `presence` gives `console:read presence:write`. A token that only
read the console's API (reads are not audited) loses it: create a new one with `--scope console:read`.
"""

from alembic import op
import sqlalchemy as sa


revision = '0013_token_scopes'
down_revision = '0010_address_limits'
branch_labels = None
depends_on = '0007_console'

IMPLIED = {"callback_claim": ("console:read", "callbacks:work"),
           "callback_outcome": ("console:read", "callbacks:work"),
           "presence": ("console:read", "presence:write")}
ORDER = ("tickets:read", "tickets:write", "console:read", "callbacks:work", "presence:write")


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.String(length=200), nullable=False,
                                      server_default='tickets:read'))
    connection = op.get_bind()
    tokens = connection.execute(sa.text("SELECT id, name FROM api_tokens")).all()
    for token_id, name in tokens:
        scopes = {"tickets:read", "tickets:write"}
        actions = connection.execute(sa.text("SELECT DISTINCT action FROM console_audit_log WHERE actor = :actor"),
                                     {"actor": f"api:{name}"}).scalars()
        for action in actions:
            scopes.update(IMPLIED.get(action, ()))
        connection.execute(sa.text("UPDATE api_tokens SET scopes = :scopes WHERE id = :id"),
                           {"scopes": " ".join(scope for scope in ORDER if scope in scopes), "id": token_id})


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('scopes')
