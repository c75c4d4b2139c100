"""opening hours: extensions, closures, and the schedule version row (id 1)

Revision ID: 0003_hours
Revises: 0002_tickets
Create Date: 2026-11-27 21:18:01.000574
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0003_hours'
down_revision = '0002_tickets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hours_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=120), nullable=True),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_hours_closures_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_closures'))
    )
    with op.batch_alter_table('hours_closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hours_closures_ends_at'), ['ends_at'], unique=False)

    op.create_table('hours_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('bands', sa.String(length=200), nullable=True),
    sa.Column('announcement', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=120), nullable=True),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_hours_extensions_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_extensions'))
    )
    with op.batch_alter_table('hours_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hours_extensions_ends_at'), ['ends_at'], unique=False)

    version_table = op.create_table('hours_schedule_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_schedule_version'))
    )
    # The database's own clock stamps the first row: a migration reads no process clock.
    op.execute(version_table.insert().values(id=1, version=0, changed_at=sa.func.current_timestamp()))


def downgrade() -> None:
    op.drop_table('hours_schedule_version')
    with op.batch_alter_table('hours_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hours_extensions_ends_at'))

    op.drop_table('hours_extensions')
    with op.batch_alter_table('hours_closures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hours_closures_ends_at'))

    op.drop_table('hours_closures')
