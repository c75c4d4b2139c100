"""tickets access: failed lookups (rate limits) and API tokens

Revision ID: 0004_tickets_access
Revises: 0002_tickets
Create Date: 2026-11-27 21:05:41.290203
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0004_tickets_access'
down_revision = '0002_tickets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('name', name=op.f('uq_api_tokens_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('lookup_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('caller_key', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lookup_failures'))
    )
    with op.batch_alter_table('lookup_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lookup_failures_at'), ['at'], unique=False)
        batch_op.create_index('ix_lookup_failures_caller_key_at', ['caller_key', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lookup_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_lookup_failures_caller_key_at')
        batch_op.drop_index(batch_op.f('ix_lookup_failures_at'))

    op.drop_table('lookup_failures')
    op.drop_table('api_tokens')
