"""the "Chiama" call of a callback entry: when it started, by whom, its Twilio call and its state

Revision ID: 0014_callback_call_state
Revises: 0012_sign_in_failures
Create Date: 2026-12-06 03:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0014_callback_call_state'
down_revision = '0012_sign_in_failures'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_sid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('call_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('call_state', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('call_started_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('call_state_at', storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch would copy the table and lose the
    # expression index ix_callback_requests_due, which SQLAlchemy cannot reflect.
    for column in ('call_state_at', 'call_started_at', 'call_state', 'call_by', 'call_sid'):
        op.drop_column('callback_requests', column)
