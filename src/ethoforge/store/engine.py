"""Database engine for a project: SQLite in WAL mode with foreign keys on, and migrations.

The schema is built and upgraded only by the Alembic chain in ``store/migrations``, applied
programmatically (`upgrade_to_head`) whenever a project is created or opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
WRITE_LOCK = "ethoforge_write_lock"
"""Execution option: begin the transaction holding the write lock (``BEGIN IMMEDIATE`` on SQLite)."""


def sqlite_url(path: str | Path) -> str:
    """SQLAlchemy URL of the SQLite file at ``path``."""
    return f"sqlite:///{Path(path).resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite: WAL journal, foreign keys on, transactional DDL.

    SQLite connections get ``PRAGMA foreign_keys=ON``, ``journal_mode=WAL``,
    ``synchronous=NORMAL`` and a 30 s busy timeout on connect. The driver's own implicit
    transaction handling is switched off and SQLAlchemy emits ``BEGIN`` itself, so that a
    transaction (DDL of a migration included) is all-or-nothing; a connection with the
    `WRITE_LOCK` execution option begins with ``BEGIN IMMEDIATE`` (see `write_transaction`).
    """
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"timeout": 30} if is_sqlite else {})
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see make_engine)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_LOCK, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session in a transaction that holds the database's write lock from its start.

    SQLite's deferred ``BEGIN`` takes the write lock only at the first write, and a
    transaction that read before another connection committed then fails at once with
    "database is locked" (the busy timeout does not cover that upgrade). ``BEGIN IMMEDIATE``
    takes the lock first, so concurrent writers queue (up to the busy timeout) instead.
    Other databases get a plain ``BEGIN``. Commits on success, rolls back on an exception.
    Use it for every transaction that writes; read-only sessions stay deferred.
    """
    with sessions.begin() as session:
        session.connection(execution_options={WRITE_LOCK: True})  # begins the transaction now
        yield session


def _alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision of the migration chain shipped with this package."""
    from alembic.script import ScriptDirectory

    config = _alembic_config(None)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> str:
    """Apply every pending migration in one transaction; return the revision now current."""
    from alembic import command

    head = head_revision()
    if current_revision(engine) == head:
        return head
    with engine.execution_options(**{WRITE_LOCK: True}).begin() as connection:  # two openers queue
        command.upgrade(_alembic_config(connection), "head")
    return head


def table_names(engine: Engine) -> list[str]:
    """Names of the tables in the database."""
    return sorted(inspect(engine).get_table_names())


def dump_database(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted (for comparing a database before and after)."""
    from sqlalchemy import MetaData

    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted((tuple(row) for row in connection.execute(table.select())), key=repr)
            for name, table in sorted(metadata.tables.items())
        }
