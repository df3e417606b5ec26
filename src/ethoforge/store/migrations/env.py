"""Alembic environment: run migrations on the connection EthoForge hands over.

EthoForge applies migrations itself (`ethoforge.store.engine.upgrade_to_head`), passing an
open connection in ``config.attributes["connection"]``. For ``alembic revision
--autogenerate`` run from a shell, pass the database with ``-x url=sqlite:///path/ethoforge.db``.
"""

from __future__ import annotations

from alembic import context

from ethoforge.store.engine import make_engine, migration_connection
from ethoforge.store.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("pass the database: alembic -x url=sqlite:///path/to/ethoforge.db ...")
    with migration_connection(make_engine(url)) as connection:  # foreign keys off: see upgrade_to_head
        _run(connection)


if context.is_offline_mode():
    raise SystemExit("EthoForge migrations run online only")
run_migrations_online()
