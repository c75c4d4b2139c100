"""sign-in failures by (name, address) for growing delays, instead of a lock anyone could trigger

Revision ID: 0012_sign_in_failures
Revises: 0007_console
Create Date: 2026-12-06 01:00:00
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0012_sign_in_failures'
down_revision = '0007_console'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('account', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_failures_account_address_at', ['account', 'address', 'at'], unique=False)
        batch_op.create_index('ix_sign_in_failures_address_at', ['address', 'at'], unique=False)
    # The old per-account locks were what a stranger could trigger: lift every one.
    op.execute("UPDATE console_accounts SET failed_logins = 0, locked_until = NULL")


def downgrade() -> None:
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_failures_address_at')
        batch_op.drop_index('ix_sign_in_failures_account_address_at')
    op.drop_table('sign_in_failures')
