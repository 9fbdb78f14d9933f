"""SQLite connections kept between calls: reused, never shared, never left in a transaction."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import pytest
from sqlalchemy import event

from modelreg.store.database import Database, fetch_one, plain_text
from modelreg.store.idle_connections import IDLE_LIMIT, IdleConnections

_COUNT = plain_text("SELECT count(*) FROM t")


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x integer)")
    yield database
    database.dispose()


def _driver(conn):
    return conn.connection.dbapi_connection


def _kept(db: Database) -> list:
    return list(db._idle._idle)


def test_consecutive_calls_in_a_thread_use_one_connection(db):
    with db.read() as first:
        driver = _driver(first)
    with db.write() as second:
        assert _driver(second) is driver
    with db.read() as third:
        assert _driver(third) is driver


def test_two_calls_at_once_get_different_connections(db):
    with db.read() as outer, db.read() as inner:
        assert _driver(outer) is not _driver(inner)


def test_a_failed_write_gives_back_no_open_transaction_and_no_lock(db, tmp_path):
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")
    for conn in _kept(db):
        assert not _driver(conn).in_transaction
    other = sqlite3.connect(tmp_path / "x.db", timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if a kept one held it
    other.rollback()
    other.close()
    with db.read() as conn:
        assert fetch_one(conn, _COUNT)[0] == 0


def test_a_connection_left_inside_a_transaction_is_not_kept(db):
    with db.read() as conn:
        _driver(conn).execute("BEGIN")
        left_open = _driver(conn)
    assert all(_driver(c) is not left_open for c in _kept(db))
    with db.write() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")


def test_statements_run_through_sqlalchemy_join_and_leave_no_transaction(db):
    with db.read() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM t")
        assert conn.in_transaction()
    (kept,) = _kept(db)
    assert not kept.in_transaction()


def test_concurrent_threads_never_share_a_connection(db):
    in_use: set[int] = set()
    guard = threading.Lock()
    problems: list[str] = []

    def work(n: int) -> None:
        for i in range(50):
            context = db.write() if i % 5 == 0 else db.read()
            with context as conn:
                driver = id(_driver(conn))
                with guard:
                    if driver in in_use:
                        problems.append(f"thread {n} got a connection in use")
                    in_use.add(driver)
                if i % 5 == 0:
                    conn.exec_driver_sql(f"INSERT INTO t VALUES ({n})")
                else:
                    fetch_one(conn, _COUNT)
                with guard:
                    in_use.discard(driver)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []
    with db.read() as conn:
        assert fetch_one(conn, _COUNT)[0] == 12 * 10


def test_no_more_than_the_limit_are_kept_after_a_burst(db):
    barrier = threading.Barrier(IDLE_LIMIT + 4)

    def hold() -> None:
        with db.read():
            barrier.wait()

    threads = [threading.Thread(target=hold) for _ in range(IDLE_LIMIT + 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(_kept(db)) == IDLE_LIMIT


def test_dispose_closes_the_kept_connections(db):
    with db.read():
        pass
    (kept,) = _kept(db)
    db.dispose()
    assert _kept(db) == []
    assert kept.closed


def test_a_listener_added_later_sees_statements_on_kept_connections(db):
    with db.read() as conn:
        fetch_one(conn, _COUNT)
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    with db.read() as conn:
        assert fetch_one(conn, _COUNT)[0] == 0
    assert seen == ["SELECT count(*) FROM t"]


def _child_takes_its_own(idle: IdleConnections, parents: list[int], out) -> None:
    conn = idle.take()
    out.put(id(conn) not in parents)
    conn.close()


def test_a_forked_child_opens_its_own_connection(db):
    idle = IdleConnections(db.engine)
    idle.give_back(idle.take())
    parents = [id(c) for c in idle._idle]
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_child_takes_its_own, args=(idle, parents, out))
    child.start()
    assert out.get(timeout=30) is True
    child.join(30)
    assert child.exitcode == 0
    idle.close_all()


def _child_gives_back(idle: IdleConnections, conn, out) -> None:
    idle.give_back(conn)
    out.put(len(idle._idle))


def test_a_connection_taken_before_a_fork_is_not_kept_by_the_child(db):
    idle = IdleConnections(db.engine)
    conn = idle.take()
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_child_gives_back, args=(idle, conn, out))
    child.start()
    assert out.get(timeout=30) == 0
    child.join(30)
    assert child.exitcode == 0
    idle.give_back(conn)
    assert len(idle._idle) == 1
    idle.close_all()
