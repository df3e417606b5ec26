"""Models have a kind: ``classifier`` (behavior classifiers) or ``embedder`` (pretrained encoders).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="classifier"))
        batch.create_index(batch.f("ix_models_kind"), ["kind"])


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_index(batch.f("ix_models_kind"))
        batch.drop_column("kind")
