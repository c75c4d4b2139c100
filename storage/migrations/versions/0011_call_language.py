"""the caller's language on the call log and on tickets

Revision ID: 0011_call_language
Revises: 0009_written_mail
Create Date: 2026-12-02 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0011_call_language'
down_revision = '0009_written_mail'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every call and ticket before this revision was in Italian, the only language of the line.
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='it', nullable=False))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='it', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('language')
