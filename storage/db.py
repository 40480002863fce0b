"""Engine and transaction handling for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session as SyncSession
from sqlalchemy.orm import sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000
T = TypeVar("T")
Work = Callable[["Session"], Awaitable[T]]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; on SQLite, WAL + write transactions that queue, not fail.

    Every transaction on SQLite starts with BEGIN IMMEDIATE so two writers wait for each other
    (busy_timeout) instead of failing when a read transaction tries to upgrade to a write.
    """
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **kwargs)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Session(Protocol):
    """What repositories use of a session: an ``AsyncSession``, or a ``BlockingSession`` on
    SQLite's writer thread."""

    async def execute(self, statement: Any, params: Any = None) -> Any: ...
    async def get(self, entity: Any, ident: Any) -> Any: ...
    async def flush(self) -> None: ...
    def add(self, instance: Any) -> None: ...
    def get_bind(self) -> Any: ...
    def begin_nested(self) -> Any: ...


class BlockingSession:
    """An ``AsyncSession`` look-alike over a sync session: every call completes at once.

    Used only on the SQLite writer thread, whose event loop runs nothing else, so blocking it
    for a statement is fine — and saves the hops aiosqlite makes to its own thread and back for
    every statement (cursor, execute, fetch, close), each waiting for the GIL and a turn of
    the loop. The sqlite3 module releases the GIL while SQLite works.
    """

    def __init__(self, session: SyncSession) -> None:
        self.sync = session

    async def execute(self, statement: Any, params: Any = None) -> Any:
        return self.sync.execute(statement, params)

    async def get(self, entity: Any, ident: Any) -> Any:
        return self.sync.get(entity, ident)

    async def flush(self) -> None:
        self.sync.flush()

    def add(self, instance: Any) -> None:
        self.sync.add(instance)

    def get_bind(self) -> Any:
        return self.sync.get_bind()

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self.sync.begin_nested():
            yield


def _sync_sqlite_engine(url: str) -> Engine:
    """The same SQLite file through the sqlite3 module, with the same pragmas and BEGIN
    IMMEDIATE as the async engine."""
    sync_url = make_url(url).set(drivername="sqlite")
    engine = create_sync_engine(sync_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


class _WriterThread:
    """SQLite's single writer: units of work run one after another on a thread and event loop
    of their own, with a blocking session (see ``BlockingSession``). Measured with
    bench/bench_telegram.py: on the bot's busy loop through aiosqlite a unit of work of about
    1 ms of work held the write lock for 8-9 ms."""

    def __init__(self, url: str) -> None:
        self.engine = _sync_sqlite_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Lock()
        self._lock: asyncio.Lock | None = None

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        with self._started:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=serve, name="sqlite-writer", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    async def submit(self, work: Work[T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(
            self._run(work), self._ensure_started()
        )
        return await asyncio.wrap_future(future)

    async def _run(self, work: Work[T]) -> T:
        if self._lock is None:
            self._lock = asyncio.Lock()  # FIFO, on this loop
        async with self._lock:
            with self._sessions() as session, session.begin():
                return await work(BlockingSession(session))

    async def dispose(self) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                await asyncio.to_thread(self._thread.join, 10)
            loop.close()
            self._loop = None
        self.engine.dispose()


class Database:
    """Owns the engine; ``run(work)`` runs one unit of work in one transaction (the engine's
    path: on SQLite on the writer thread), ``transaction()`` yields a session committed on
    success (importers, the CLI, tests)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Queueing our own transactions here (FIFO) avoids
        # SQLite's busy handler, which polls with sleeps of up to 100 ms and makes the slowest
        # replies slow under load; other processes are still kept apart by busy_timeout.
        self._writer = asyncio.Lock() if is_sqlite(url) else None
        self._writer_thread = _WriterThread(url) if is_sqlite(url) else None

    @property
    def engines(self) -> list[Engine]:
        """The sync engines underneath, for instrumentation (SQL event listeners)."""
        writer = [self._writer_thread.engine] if self._writer_thread else []
        return [self.engine.sync_engine, *writer]

    async def run(self, work: Work[T]) -> T:
        """``work(session)`` in one transaction, committed when it returns."""
        if self._writer_thread is not None:
            return await self._writer_thread.submit(work)
        async with self.transaction() as session:
            return await work(session)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        if self._writer is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        async with self._writer, self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        if self._writer_thread is not None:
            await self._writer_thread.dispose()
        await self.engine.dispose()
