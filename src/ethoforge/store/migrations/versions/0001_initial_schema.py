"""Initial schema: recordings, datasets, bouts, annotated scopes, models and jobs.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('datasets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('behaviors', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datasets')),
    sa.UniqueConstraint('name', name=op.f('uq_datasets_name'))
    )
    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('source_path', sa.Text(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('fps', sa.Float(), nullable=False),
    sa.Column('n_frames', sa.Integer(), nullable=False),
    sa.Column('individuals', sa.JSON(), nullable=False),
    sa.Column('keypoints', sa.JSON(), nullable=False),
    sa.Column('source_format', sa.String(length=32), nullable=False),
    sa.Column('poses_path', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('fps > 0', name=op.f('ck_recordings_fps_positive')),
    sa.CheckConstraint('n_frames > 0', name=op.f('ck_recordings_n_frames_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_recordings_content_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_recordings_name'))
    )
    op.create_table('annotated_scopes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('behavior', sa.String(length=64), nullable=True),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('stop', sa.Integer(), nullable=False),
    sa.Column('annotator', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('start >= 0', name=op.f('ck_annotated_scopes_start_nonnegative')),
    sa.CheckConstraint('stop > start', name=op.f('ck_annotated_scopes_stop_after_start')),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_annotated_scopes_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotated_scopes'))
    )
    with op.batch_alter_table('annotated_scopes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotated_scopes_recording_id'), ['recording_id'], unique=False)

    op.create_table('bouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('behavior', sa.String(length=64), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('stop', sa.Integer(), nullable=False),
    sa.Column('agent', sa.String(length=64), nullable=True),
    sa.Column('target', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=16), server_default='manual', nullable=False),
    sa.Column('annotator', sa.String(length=64), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("source IN ('manual', 'predicted', 'confirmed')", name=op.f('ck_bouts_source_known')),
    sa.CheckConstraint('start >= 0', name=op.f('ck_bouts_start_nonnegative')),
    sa.CheckConstraint('stop > start', name=op.f('ck_bouts_stop_after_start')),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_bouts_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bouts'))
    )
    with op.batch_alter_table('bouts', schema=None) as batch_op:
        batch_op.create_index('ix_bouts_recording_behavior', ['recording_id', 'behavior'], unique=False)

    op.create_table('dataset_folders',
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('folder', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_folders_dataset_id_datasets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', 'folder', name=op.f('pk_dataset_folders'))
    )
    op.create_table('dataset_recordings',
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_recordings_dataset_id_datasets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_dataset_recordings_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', 'recording_id', name=op.f('pk_dataset_recordings'))
    )
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('log', sa.Text(), nullable=True),
    sa.Column('worker', sa.String(length=128), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_requested', sa.Boolean(), server_default=sa.text('0'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint("kind IN ('train', 'infer', 'prelabel')", name=op.f('ck_jobs_kind_known')),
    sa.CheckConstraint("status IN ('pending', 'preparing', 'training', 'completed', 'failed', 'cancelled')", name=op.f('ck_jobs_status_known')),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_jobs_dataset_id_datasets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_status'), ['status'], unique=False)

    op.create_table('models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('family', sa.String(length=32), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('0'), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_models_dataset_id_datasets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_models')),
    sa.UniqueConstraint('name', name=op.f('uq_models_name'))
    )
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_models_dataset_id'), ['dataset_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_models_dataset_id'))

    op.drop_table('models')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_jobs_dataset_id'))

    op.drop_table('jobs')
    op.drop_table('dataset_recordings')
    op.drop_table('dataset_folders')
    with op.batch_alter_table('bouts', schema=None) as batch_op:
        batch_op.drop_index('ix_bouts_recording_behavior')

    op.drop_table('bouts')
    with op.batch_alter_table('annotated_scopes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotated_scopes_recording_id'))

    op.drop_table('annotated_scopes')
    op.drop_table('recordings')
    op.drop_table('datasets')
