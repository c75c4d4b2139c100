"""written channel: mail outbox, form submissions, operators' replies

Revision ID: 0009_written_mail
Revises: 0002_tickets
Create Date: 2026-12-06 00:03:56.568499
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0009_written_mail'
down_revision = '0002_tickets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('sent_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_mail_outbox_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_mail_outbox_message_id'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_outbox_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('written_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('citizen_name', sa.String(length=120), nullable=True),
    sa.Column('code_mailed', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_written_submissions_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_written_submissions')),
    sa.UniqueConstraint('token', name=op.f('uq_written_submissions_token'))
    )
    with op.batch_alter_table('written_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_written_submissions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_written_submissions_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('closed_ticket', sa.Boolean(), nullable=False),
    sa.Column('mail_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['mail_id'], ['mail_outbox.id'], name=op.f('fk_ticket_replies_mail_id_mail_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_replies_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_replies'))
    )
    with op.batch_alter_table('ticket_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_replies_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ticket_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_replies_ticket_id'))

    op.drop_table('ticket_replies')
    with op.batch_alter_table('written_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_written_submissions_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_written_submissions_created_at'))

    op.drop_table('written_submissions')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_outbox_ticket_id'))
        batch_op.drop_index('ix_mail_outbox_due')

    op.drop_table('mail_outbox')
