"""the topic of the call an operator is reserved for (the console's screen pop shows it)

Revision ID: 0015_agent_reserved_topic
Revises: 0006_agents
Create Date: 2026-12-06 04:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0015_agent_reserved_topic'
down_revision = '0006_agents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reserved_topic', sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('reserved_topic')
