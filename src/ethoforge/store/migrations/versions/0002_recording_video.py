"""Recordings may hold a video (video only, or video beside poses); jobs may be ``encode`` jobs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_OLD_KINDS = "kind IN ('train', 'infer', 'prelabel')"
_NEW_KINDS = "kind IN ('train', 'infer', 'prelabel', 'encode')"


def upgrade() -> None:
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_path', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('video_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('video_meta', sa.JSON(), nullable=True))
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_jobs_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_jobs_kind_known'), sa.text(_NEW_KINDS))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_jobs_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_jobs_kind_known'), sa.text(_OLD_KINDS))
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('video_meta')
        batch_op.drop_column('video_hash')
        batch_op.drop_column('video_path')
