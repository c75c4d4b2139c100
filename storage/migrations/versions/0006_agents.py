"""operators, presence history and the hold queue

Revision ID: 0006_agents
Revises: 0002_tickets
Create Date: 2026-11-27 21:08:19.414197
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0006_agents'
down_revision = '0002_tickets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('client_identity', sa.String(length=120), nullable=True),
    sa.Column('languages', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('state_since', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('available_since', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reservation', sa.String(length=80), nullable=True),
    sa.Column('reserved_call_sid', sa.String(length=64), nullable=True),
    sa.Column('missed_in_a_row', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('client_identity', name=op.f('uq_agents_client_identity')),
    sa.UniqueConstraint('name', name=op.f('uq_agents_name')),
    sa.UniqueConstraint('phone', name=op.f('uq_agents_phone')),
    sa.UniqueConstraint('reservation', name=op.f('uq_agents_reservation'))
    )
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.create_index('ix_agents_state_available_since', ['state', 'available_since'], unique=False)

    op.create_table('queued_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('topic', sa.String(length=24), nullable=False),
    sa.Column('entered_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('left_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queued_calls')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_queued_calls_call_sid'))
    )
    with op.batch_alter_table('queued_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queued_calls_entered_at'), ['entered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_queued_calls_outcome'), ['outcome'], unique=False)

    op.create_table('agent_presence_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=False),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('previous_state_seconds', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_agent_presence_changes_agent_id_agents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_presence_changes'))
    )
    with op.batch_alter_table('agent_presence_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_presence_changes_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_presence_changes_changed_at'), ['changed_at'], unique=False)

    op.create_table('agent_topics',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=24), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_agent_topics_agent_id_agents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'topic', name=op.f('pk_agent_topics'))
    )


def downgrade() -> None:
    op.drop_table('agent_topics')
    with op.batch_alter_table('agent_presence_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_presence_changes_changed_at'))
        batch_op.drop_index(batch_op.f('ix_agent_presence_changes_agent_id'))

    op.drop_table('agent_presence_changes')
    with op.batch_alter_table('queued_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queued_calls_outcome'))
        batch_op.drop_index(batch_op.f('ix_queued_calls_entered_at'))

    op.drop_table('queued_calls')
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_index('ix_agents_state_available_since')

    op.drop_table('agents')
