"""per-address counters for the public forms' limits (IPv6 counted per /64)

Revision ID: 0010_address_limits
Revises: 0004_tickets_access
Create Date: 2026-12-06 00:04:10.118021
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0010_address_limits'
down_revision = '0004_tickets_access'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('address_counters',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('window_index', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_index', name=op.f('pk_address_counters'))
    )
    with op.batch_alter_table('address_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_address_counters_expires_at'), ['expires_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('address_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_counters_expires_at'))

    op.drop_table('address_counters')
