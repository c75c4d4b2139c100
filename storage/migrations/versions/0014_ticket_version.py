"""a version on tickets: a status change made from a stale page is refused

Revision ID: 0014_ticket_version
Revises: 0011_call_language
Create Date: 2026-12-06 03:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0014_ticket_version'
down_revision = '0011_call_language'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing tickets start at version 1; every status change adds one.
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('version')
