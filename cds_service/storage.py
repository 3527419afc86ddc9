"""Durable storage (SQLAlchemy Core): cards issued, feedback, audit trail, JWT ids seen.

SQLite (WAL, writers serialised with BEGIN IMMEDIATE) by default, PostgreSQL by URL. Every write is one transaction
committed before the caller answers. Times are naive UTC.

SQLite durability per write: feedback and token ids are fsynced at commit (synchronous=FULL). The per-hook audit
write uses `audit_sync` (default NORMAL): in WAL mode its commit survives a crash or kill of the service but not of
the machine until the next fsynced commit or checkpoint, which saves an fsync on every hook call. Set
SQLITE_AUDIT_SYNC=FULL to fsync it too. PostgreSQL commits are always durable.

Inserts (the hook record on every call, feedback) skip SQLAlchemy's per-statement layer (`Storage._insert`); schema,
reads, token ids and exports, which are rare, use SQLAlchemy Core.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (JSON, Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, Text,
                        create_engine, delete, event, insert, select, text)
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

log = logging.getLogger(__name__)

metadata = MetaData()

issued_card = Table(
    "issued_card", metadata,
    Column("card_uuid", String(64), primary_key=True),
    Column("service_id", String(64), nullable=False),
    Column("hook_instance", Text, nullable=False),
    Column("consult_id", String(64), nullable=False),
    Column("issued_at", DateTime, nullable=False),
)
issued_suggestion = Table(
    "issued_suggestion", metadata,
    Column("card_uuid", String(64), ForeignKey("issued_card.card_uuid"), primary_key=True),
    Column("suggestion_uuid", String(64), primary_key=True),
)
feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", DateTime, nullable=False, index=True),
    Column("service_id", String(64), nullable=False),
    Column("card_uuid", String(64), nullable=False, index=True),
    Column("outcome", String(16), nullable=False),
    Column("accepted_suggestions", JSON, nullable=False),
    Column("override_reason_system", Text),
    Column("override_reason_code", Text),
    Column("user_comment", Text),
    Column("outcome_timestamp", DateTime, nullable=False),
    Column("issuer", Text),
    Column("tenant", Text),
)
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime, nullable=False, index=True),
    Column("consult_id", String(64), nullable=False),
    Column("hook_instance", Text, nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("issuer", Text),
    Column("tenant", Text),
    Column("order_reference", Text),
    Column("order_system", Text),
    Column("order_code", Text),
    Column("procedure_id", String(64)),
    Column("variants", JSON, nullable=False),
    Column("rating", String(32), nullable=False),
    Column("card_uuid", String(64)),
    Column("suggestion_uuids", JSON, nullable=False),
    Column("fact_codes", JSON, nullable=False),
    Column("latency_ms", Float, nullable=False),
)
seen_jti = Table(
    "seen_jti", metadata,
    Column("issuer", Text, primary_key=True),
    Column("jti", Text, primary_key=True),
    Column("expires_at", DateTime, nullable=False, index=True),
)
EXPORTS = {"feedback": (feedback, feedback.c.received_at), "audit": (audit, audit.c.recorded_at)}


class StorageUnavailable(RuntimeError):
    """The database could not be read or written; nothing was acknowledged."""


@dataclass(frozen=True)
class IssuedCard:
    card_uuid: str
    service_id: str
    hook_instance: str
    consult_id: str
    suggestion_uuids: tuple[str, ...]


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def engine_url(url: str):
    """`postgresql://` and `postgres://` use psycopg 3 (the driver installed by the `postgres` extra)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_engine(url) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # transactions are begun below, not by the driver
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        _begin_sqlite(conn.exec_driver_sql, conn.get_execution_options().get("sqlite_synchronous", "FULL"))

    return engine


def _begin_sqlite(execute, sync: str) -> None:
    execute(f"PRAGMA synchronous={sync}")  # set for each transaction: never inherited
    execute("BEGIN IMMEDIATE")  # take the write lock up front: no lock upgrade deadlocks


class _Insert:
    """`INSERT INTO table` compiled once for a dialect, and each column's bind processor: rows handed to the driver
    are stored exactly as SQLAlchemy stores them (JSON serialised, datetimes in the dialect's format)."""

    def __init__(self, table: Table, dialect: Dialect):
        columns = {c.key: c for c in table.columns if c is not table.autoincrement_column}
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns), for_executemany=True)
        self.sql, self._positional, self._table = compiled.string, compiled.positional, table.name
        self._keys = tuple(compiled.positiontup if compiled.positional else compiled.binds)
        self._processors = tuple(columns[k].type.dialect_impl(dialect).bind_processor(dialect) for k in self._keys)
        self._columns = frozenset(columns)

    def parameters(self, row: dict) -> list | dict:
        """The driver's parameters for `row`, which gives every column but an autoincrement id (None for NULL)."""
        if row.keys() != self._columns:
            raise ValueError(f"a row of {self._table} must give exactly its columns; missing "
                             f"{sorted(self._columns - row.keys())}, unknown {sorted(row.keys() - self._columns)}")
        values = [row[k] if p is None else p(row[k]) for k, p in zip(self._keys, self._processors)]
        return values if self._positional else dict(zip(self._keys, values))


class Storage:
    def __init__(self, url: str, audit_sync: str = "NORMAL"):
        if audit_sync not in ("NORMAL", "FULL"):
            raise ValueError("audit_sync must be NORMAL or FULL")
        self.audit_sync = audit_sync
        self.url = engine_url(url)
        self._engine = (_sqlite_engine(self.url) if self.url.get_backend_name() == "sqlite"
                        else create_engine(self.url, pool_pre_ping=True))
        self._pid = os.getpid()
        self._inserts = {t: _Insert(t, self._engine.dialect) for t in (issued_card, issued_suggestion, audit, feedback)}

    @classmethod
    def open(cls, url: str, audit_sync: str = "NORMAL") -> "Storage":
        storage = cls(url, audit_sync)
        storage.create_tables()
        return storage

    @property
    def engine(self) -> Engine:
        if self._pid != os.getpid():  # forked (gunicorn worker): never share the parent's connections
            self._engine.dispose(close=False)
            self._pid = os.getpid()
        return self._engine

    def _begin(self, sync: str = "FULL"):
        return _Transaction(self.engine, sync)

    def create_tables(self) -> None:
        with self._begin() as conn:
            if conn.dialect.name == "postgresql":  # workers starting together must not race on CREATE TABLE
                conn.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
            metadata.create_all(conn)

    def _insert(self, sync: str, rows_by_table: list[tuple[Table, list[dict]]]) -> None:
        """Insert rows into tables, in order, in one transaction committed before returning.

        This runs on every hook call, so it uses the pooled driver connection directly with statements compiled
        once: SQLAlchemy's per-statement layer (connection wrapper, events, statement cache keys, result objects)
        cost about twice the database's own work. The transaction is the same as `_begin`'s: on SQLite
        `synchronous=<sync>` and BEGIN IMMEDIATE. Driver errors become StorageUnavailable, logged by type only."""
        work = [(self._inserts[table].sql, [self._inserts[table].parameters(r) for r in rows])
                for table, rows in rows_by_table if rows]  # built before the write lock is taken
        engine = self.engine
        errors = (SQLAlchemyError, engine.dialect.loaded_dbapi.Error)
        try:
            conn = engine.raw_connection()
        except errors as exc:
            raise _unreachable(exc) from exc
        try:
            cursor = conn.cursor()
            if engine.dialect.name == "sqlite":
                _begin_sqlite(cursor.execute, sync)
            for sql, parameters in work:
                cursor.executemany(sql, parameters)
            conn.commit()
        except errors as exc:
            try:
                conn.rollback()
            except errors:
                conn.invalidate()  # unusable: the pool opens a new connection instead
            raise _write_failed(exc) from exc
        finally:
            conn.close()  # back to the pool

    def record_hook(self, cards: list[IssuedCard], audit_rows: list[dict]) -> None:
        now = utcnow()
        self._insert(self.audit_sync, [
            (issued_card, [{"card_uuid": c.card_uuid, "service_id": c.service_id, "hook_instance": c.hook_instance,
                            "consult_id": c.consult_id, "issued_at": now} for c in cards]),
            (issued_suggestion, [{"card_uuid": c.card_uuid, "suggestion_uuid": s}
                                 for c in cards for s in dict.fromkeys(c.suggestion_uuids)]),
            (audit, [{"recorded_at": now, **row} for row in audit_rows])])

    def issued(self, card_uuids: list[str]) -> dict[str, tuple[str, set[str]]]:
        """card uuid -> (service id, suggestion uuids) for the cards among `card_uuids` that were issued."""
        if not card_uuids:
            return {}
        with self._begin() as conn:
            cards = conn.execute(select(issued_card.c.card_uuid, issued_card.c.service_id)
                                 .where(issued_card.c.card_uuid.in_(set(card_uuids)))).all()
            found = {uuid: (service, set()) for uuid, service in cards}
            if found:
                for card, suggestion in conn.execute(
                        select(issued_suggestion.c.card_uuid, issued_suggestion.c.suggestion_uuid)
                        .where(issued_suggestion.c.card_uuid.in_(list(found)))):
                    found[card][1].add(suggestion)
        return found

    def add_feedback(self, rows: list[dict]) -> None:
        now = utcnow()
        self._insert("FULL", [(feedback, [{"received_at": now, **row} for row in rows])])

    def first_use_of_jti(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        """Remember a token id until it expires; False when it was seen before (a replay)."""
        now = utcnow()
        try:
            with self._begin() as conn:
                conn.execute(delete(seen_jti).where(seen_jti.c.expires_at < now))
                conn.execute(insert(seen_jti).values(issuer=issuer, jti=jti, expires_at=expires_at))
        except StorageUnavailable as exc:
            if isinstance(exc.__cause__, IntegrityError):
                return False
            raise
        return True

    def export(self, kind: str, since: datetime, until: datetime) -> list[dict]:
        """Rows of `feedback` or `audit` stored in [since, until), oldest first."""
        table, when = EXPORTS[kind]
        with self._begin() as conn:
            rows = conn.execute(select(table).where(when >= since, when < until).order_by(table.c.id)).mappings()
            return [dict(r) for r in rows]


def _unreachable(error: Exception) -> StorageUnavailable:
    log.error("database unavailable: %s", type(error).__name__)  # the type only: no data in logs
    return StorageUnavailable("the database could not be reached")


def _write_failed(error: Exception, expected: bool = False) -> StorageUnavailable:
    """`expected`: the caller makes the failure its answer (a duplicate token id), so it is not logged as an outage."""
    if not expected:
        log.error("database error: %s", type(error).__name__)
    return StorageUnavailable("the database write failed")


class _Transaction:
    """engine.begin() whose database errors become StorageUnavailable (logged by type: no data in logs)."""

    def __init__(self, engine: Engine, sync: str = "FULL"):
        self._engine, self._sync = engine, sync
        self._conn = self._tx = None

    def __enter__(self):
        try:
            self._conn = self._engine.connect().execution_options(sqlite_synchronous=self._sync)
            self._tx = self._conn.begin()
            return self._conn
        except SQLAlchemyError as exc:
            if self._conn is not None:
                self._conn.close()
            raise _unreachable(exc) from exc

    def __exit__(self, exc_type, exc, tb):
        try:
            try:
                if exc_type is None:
                    self._tx.commit()
                else:
                    self._tx.rollback()
            finally:
                self._conn.close()
        except SQLAlchemyError as err:
            failure = err
        else:
            failure = exc if isinstance(exc, SQLAlchemyError) else None
        if failure is None:
            return False
        raise _write_failed(failure, expected=isinstance(failure, IntegrityError)) from failure
