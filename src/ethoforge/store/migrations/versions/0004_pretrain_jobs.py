"""Jobs may be ``pretrain`` jobs (self-supervised embedders, `ethoforge.ssl`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OLD_KINDS = "kind IN ('train', 'infer', 'prelabel', 'encode')"
_NEW_KINDS = "kind IN ('train', 'infer', 'prelabel', 'encode', 'pretrain')"


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_jobs_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_jobs_kind_known"), sa.text(_NEW_KINDS))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_jobs_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_jobs_kind_known"), sa.text(_OLD_KINDS))
