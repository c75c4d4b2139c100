"""emergency events named by supervisors, for the dossier

Revision ID: 0008_events
Revises: 0002_tickets
Create Date: 2026-11-27 21:16:41.465523
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0008_events'
down_revision = '0002_tickets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('emergency_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('starts_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_events')),
    sa.UniqueConstraint('name', name=op.f('uq_emergency_events_name'))
    )
    with op.batch_alter_table('emergency_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emergency_events_starts_at'), ['starts_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('emergency_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emergency_events_starts_at'))

    op.drop_table('emergency_events')
