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


def _alembic_config(connection, migrations_dir: Path = MIGRATIONS_DIR):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["connection"] = connection
    return config


def head_revision(migrations_dir: Path = MIGRATIONS_DIR) -> str:
    """The newest revision of the migration chain in ``migrations_dir`` (the package's)."""
    from alembic.script import ScriptDirectory

    config = _alembic_config(None, migrations_dir)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine, migrations_dir: Path = MIGRATIONS_DIR) -> str:
    """Apply every pending migration in one transaction; return the revision now current.

    On SQLite, foreign keys are off while the migrations run: a batch migration rebuilds a
    table by copying it and dropping the old one, and with foreign keys on, that drop would
    cascade to every child row (all bouts of all recordings). ``PRAGMA foreign_keys`` cannot
    change inside a transaction, so it is switched off on the connection before ``BEGIN``;
    ``PRAGMA foreign_key_check`` must find nothing before the commit, and foreign keys are
    on again afterwards. ``migrations_dir`` is the package's chain unless a test or tool
    passes another.
    """
    from alembic import command

    head = head_revision(migrations_dir)
    if current_revision(engine) == head:
        return head
    with migration_connection(engine) as connection:
        command.upgrade(_alembic_config(connection, migrations_dir), "head")
    return head


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a write-locked transaction for migrations, SQLite foreign keys off.

    See `upgrade_to_head`; commits on success (after `PRAGMA foreign_key_check`), rolls back
    on an exception, and turns foreign keys back on either way.
    """
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection  # not in a transaction yet (autobegin is lazy)
        assert raw is not None  # only a closed (detached) pool connection lacks its driver connection
        if is_sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            connection.execution_options(**{WRITE_LOCK: True})  # two openers queue
            with connection.begin():
                yield connection
                if is_sqlite:
                    _check_foreign_keys(connection)
        finally:
            if is_sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    """Raise (rolling the migration back) when a row points at a parent that is not there."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise RuntimeError(
            f"migration left {len(broken)} row(s) pointing at missing parents "
            f"(first: {table} row {rowid} -> {parent}); nothing was changed"
        )


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
