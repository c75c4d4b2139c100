"""voicemail: the callback list as a work queue; one message per call; attempts

Revision ID: 0005_voicemail
Revises: 0002_tickets
Create Date: 2026-11-27 21:08:10.828466
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0005_voicemail'
down_revision = '0002_tickets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Order matters on SQLite, whose batch mode recreates a table: with foreign keys on, dropping
    # the old callback_requests would cascade to rows that reference it. So the messages get
    # their foreign key only after callback_requests is rebuilt, and the attempts come last.
    op.create_table('callback_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('callback_number', sa.String(length=32), nullable=True),
    sa.Column('number_source', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('message_status', sa.String(length=16), nullable=False),
    sa.Column('recording_sid', sa.String(length=64), nullable=True),
    sa.Column('recording_url', sa.String(length=512), nullable=True),
    sa.Column('recording_duration', sa.Integer(), nullable=True),
    sa.Column('copy_status', sa.String(length=16), nullable=False),
    sa.Column('copy_attempts', sa.Integer(), nullable=False),
    sa.Column('copy_next_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('copy_error', sa.String(length=200), nullable=True),
    sa.Column('recording_path', sa.String(length=300), nullable=True),
    sa.Column('twilio_deleted_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('transcript', sa.Text(), nullable=True),
    sa.Column('code_sms_sid', sa.String(length=64), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('purged_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_callback_messages_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_messages')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_callback_messages_call_sid'))
    )

    # Every existing entry was one call: it becomes that call's message.
    op.execute(
        "INSERT INTO callback_messages (entry_id, call_sid, callback_number, number_source, reason,"
        " message_status, recording_sid, recording_url, recording_duration, copy_status, copy_attempts,"
        " copy_next_at, created_at)"
        " SELECT id, call_sid, callback_number, number_source, reason, message_status, recording_sid,"
        " recording_url, recording_duration,"
        " CASE WHEN recording_sid IS NOT NULL AND message_status = 'recorded' THEN 'pending' ELSE 'none' END,"
        " 0, CASE WHEN recording_sid IS NOT NULL AND message_status = 'recorded' THEN created_at END,"
        " created_at FROM callback_requests WHERE call_sid IS NOT NULL"
    )

    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='9'))
        batch_op.add_column(sa.Column('message_count', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('ticket_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempt_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('purged_at', storage.types.UTCDateTime(timezone=True), nullable=True))

    # Existing entries wait since they were created; their priority follows their reason.
    op.execute(
        "UPDATE callback_requests SET next_attempt_at = created_at, priority = CASE reason"
        " WHEN 'error' THEN 0 WHEN 'no_answer' THEN 1 WHEN 'all_busy' THEN 2 WHEN 'closed' THEN 3"
        " WHEN 'no_choice' THEN 4 WHEN 'chosen' THEN 5 ELSE 9 END"
    )

    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.alter_column('next_attempt_at', existing_type=storage.types.UTCDateTime(timezone=True),
                              nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_callback_requests_call_sid'), type_='unique')
        batch_op.create_index('ix_callback_requests_work_order', ['status', 'priority', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_callback_requests_claimed_at', ['claimed_at'], unique=False,
                              postgresql_where=sa.text("status = 'claimed'"), sqlite_where=sa.text("status = 'claimed'"))
        batch_op.create_foreign_key(batch_op.f('fk_callback_requests_ticket_id_tickets'), 'tickets', ['ticket_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_column('message_status')
        batch_op.drop_column('call_sid')
        batch_op.drop_column('recording_duration')
        batch_op.drop_column('recording_sid')
        batch_op.drop_column('number_source')
        batch_op.drop_column('recording_url')

    with op.batch_alter_table('callback_messages', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_callback_messages_entry_id_callback_requests'), 'callback_requests', ['entry_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_callback_messages_copy_status'), ['copy_status'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_messages_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_messages_entry_id'), ['entry_id'], unique=False)

    op.create_table('callback_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('operator', sa.String(length=120), nullable=False),
    sa.Column('attempted_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['callback_requests.id'], name=op.f('fk_callback_attempts_entry_id_callback_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_attempts'))
    )
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_attempts_entry_id'), ['entry_id'], unique=False)


def downgrade() -> None:
    # Nothing may reference callback_requests while SQLite rebuilds it (see upgrade).
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_attempts_entry_id'))
    op.drop_table('callback_attempts')
    with op.batch_alter_table('callback_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_callback_messages_entry_id_callback_requests'), type_='foreignkey')

    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recording_url', sa.VARCHAR(length=512), nullable=True))
        batch_op.add_column(sa.Column('number_source', sa.VARCHAR(length=16), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('recording_sid', sa.VARCHAR(length=64), nullable=True))
        batch_op.add_column(sa.Column('recording_duration', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('call_sid', sa.VARCHAR(length=64), nullable=True))
        batch_op.add_column(sa.Column('message_status', sa.VARCHAR(length=16), nullable=False, server_default='awaiting'))

    # Each entry keeps its first message (the others' recordings remain in Twilio).
    first = "(SELECT {column} FROM callback_messages m WHERE m.entry_id = callback_requests.id ORDER BY m.id LIMIT 1)"
    columns = ("call_sid", "number_source", "message_status", "recording_sid", "recording_url", "recording_duration")
    op.execute("UPDATE callback_requests SET " + ", ".join(
        f"{column} = COALESCE({first.format(column=column)}, {column})" for column in columns))

    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_callback_requests_ticket_id_tickets'), type_='foreignkey')
        batch_op.drop_index('ix_callback_requests_claimed_at')
        batch_op.drop_index('ix_callback_requests_work_order')
        batch_op.create_unique_constraint(batch_op.f('uq_callback_requests_call_sid'), ['call_sid'])
        batch_op.drop_column('purged_at')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('attempt_count')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('ticket_id')
        batch_op.drop_column('message_count')
        batch_op.drop_column('priority')

    with op.batch_alter_table('callback_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_messages_entry_id'))
        batch_op.drop_index(batch_op.f('ix_callback_messages_created_at'))
        batch_op.drop_index(batch_op.f('ix_callback_messages_copy_status'))
    op.drop_table('callback_messages')
