"""console accounts, audit log, and an index for counting due callbacks

Revision ID: 0007_console
Revises: 0005_voicemail (it indexes the callback list's table)
Create Date: 2026-11-27 21:16:09.545140
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0007_console'
down_revision = '0005_voicemail'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('session_epoch', sa.String(length=64), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_accounts')),
    sa.UniqueConstraint('name', name=op.f('uq_console_accounts_name'))
    )
    op.create_table('console_audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_audit_log'))
    )
    with op.batch_alter_table('console_audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_audit_log_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_audit_log_at'), ['at'], unique=False)

    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.create_index('ix_callback_requests_due',
                              ['status', sa.text('coalesce(next_attempt_at, next_attempt_at)')], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_requests_due')

    with op.batch_alter_table('console_audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_console_audit_log_actor'))

    op.drop_table('console_audit_log')
    op.drop_table('console_accounts')
