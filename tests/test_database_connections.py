"""How the metadata database hands out connections on PostgreSQL and SQLite."""

from __future__ import annotations

import multiprocessing
import sqlite3

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, literal_column, select

from conftest import PG_ADMIN_URL
from fresh_databases import new_postgres_database
from modelreg.errors import ServiceUnavailable
from modelreg.store import engine
from modelreg.store.database import Database


def _other_sessions(db: Database) -> list[tuple[str, str]]:
    """(state, query) of every session on the test's database but the asking one."""
    name = db.url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as admin:
        return admin.execute(
            "SELECT state, query FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()


def _terminate_sessions(db: Database) -> int:
    name = db.url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as admin:
        return len(
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            ).fetchall()
        )


@pytest.fixture
def pg_database(pg_url: str):
    with new_postgres_database("modelreg_conn") as url:
        db = Database(url)
        yield db
        db.dispose()


def test_a_postgres_read_leaves_no_transaction_open_inside_or_after(pg_database):
    with pg_database.read() as conn:
        conn.exec_driver_sql("SELECT 1")
        during = _other_sessions(pg_database)
    after = _other_sessions(pg_database)
    # Autocommit reads: no BEGIN before the query, so no ROLLBACK is owed after it.
    assert [state for state, _ in during] == ["idle"]
    assert [state for state, _ in after] == ["idle"]
    assert after[0][1] == "SELECT 1"


def test_a_core_query_on_postgres_leaves_no_transaction_open(pg_database):
    with pg_database.read() as conn:
        assert conn.execute(select(literal_column("1").label("one"))).all() == [(1,)]
        during = _other_sessions(pg_database)
    assert [state for state, _ in during] == ["idle"]


def test_core_statements_in_a_postgres_write_are_committed(pg_database):
    with pg_database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x integer)")
    table = Table("t", MetaData(), Column("x", Integer))

    with pg_database.write() as conn:
        conn.execute(insert(table), {"x": 7})

    with pg_database.read() as conn:
        assert conn.execute(select(table.c.x)).all() == [(7,)]


def test_a_postgres_write_is_one_transaction_committed_at_the_end(pg_database):
    with pg_database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x integer)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert [s for s, _ in _other_sessions(pg_database)] == ["idle in transaction"]
    with pg_database.read() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t").scalar() == 1


def test_idle_connections_the_server_closed_are_replaced_before_use(
    pg_database, monkeypatch: pytest.MonkeyPatch
):
    with pg_database.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert _terminate_sessions(pg_database) == 1
    monkeypatch.setattr(engine, "IDLE_PING_SECONDS", 0.0)

    with pg_database.read() as conn:
        assert conn.exec_driver_sql("SELECT 2").scalar() == 2
    with pg_database.write() as conn:
        assert conn.exec_driver_sql("SELECT 3").scalar() == 3


def test_busy_connections_are_not_pinged(pg_database):
    with pg_database.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    with pg_database.read() as conn:
        conn.exec_driver_sql("SELECT 42")
    # The last statement the session ran is the read itself, not a ping.
    assert _other_sessions(pg_database)[0][1] == "SELECT 42"


def test_a_connection_closed_while_in_use_answers_service_unavailable(pg_database):
    with pytest.raises(ServiceUnavailable, match="did not answer"), pg_database.read() as conn:
        conn.exec_driver_sql("SELECT 1")
        _terminate_sessions(pg_database)
        conn.exec_driver_sql("SELECT 1")
    # The pool dropped the dead connection: the next call works.
    with pg_database.read() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1


def test_a_connection_lost_during_a_write_answers_service_unavailable(pg_database):
    with pytest.raises(ServiceUnavailable, match="did not answer"), pg_database.write() as conn:
        conn.exec_driver_sql("SELECT 1")
        _terminate_sessions(pg_database)
        conn.exec_driver_sql("SELECT 1")
    with pg_database.write() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request, tmp_path):
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'x.db'}")
        yield db
        db.dispose()
    else:
        yield request.getfixturevalue("pg_database")


def test_a_write_that_fails_leaves_nothing(any_database):
    with any_database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x integer)")
    with pytest.raises(RuntimeError), any_database.write() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")
    with any_database.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0


def test_a_sqlite_write_holds_the_write_lock_from_its_start(tmp_path):
    path = tmp_path / "x.db"
    db = Database(f"sqlite:///{path}")
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x integer)")
    with db.write():
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    db.dispose()


def test_a_failed_sqlite_write_leaves_no_lock_behind(tmp_path):
    path = tmp_path / "x.db"
    db = Database(f"sqlite:///{path}")
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x integer)")
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # "database is locked" if the failed write still held it
    other.rollback()
    other.close()
    db.dispose()


# -- fork safety: a child process never uses its parent's driver connection -----------


def _driver(db: Database) -> tuple[object, int | None]:
    """A read's driver connection object and, on PostgreSQL, its server process id."""
    with db.read() as conn:
        backend = None if db.is_sqlite else conn.execute(select(func.pg_backend_pid())).scalar()
        return conn.connection.driver_connection, backend


def _child_reads(db: Database, parents: tuple[object, int | None], out) -> None:
    driver, backend = _driver(db)
    out.put((driver is parents[0], backend))


def test_a_forked_child_opens_its_own_driver_connection(any_database):
    parents = _driver(any_database)  # now idle in the pool, which the child inherits
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_child_reads, args=(any_database, parents, out))
    child.start()
    same_driver, backend = out.get(timeout=30)
    child.join(30)

    assert child.exitcode == 0
    assert not same_driver
    if not any_database.is_sqlite:  # another session on the server, too
        assert backend != parents[1]
    # The child left the parent's connection alone: it is still the parent's, and alive.
    assert _driver(any_database) == parents


def _child_writes(db: Database, out) -> None:
    with db.write() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    out.put(True)


def test_parent_and_forked_child_both_write_to_the_database(any_database):
    with any_database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x integer)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_child_writes, args=(any_database, out))
    child.start()
    assert out.get(timeout=30) is True
    child.join(30)
    with any_database.write() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (3)")

    with any_database.read() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t ORDER BY x").scalars().all() == [1, 2, 3]


def test_after_commit_runs_once_the_transaction_committed_and_never_on_rollback(any_database):
    seen = []
    with any_database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE c (x integer)")
        any_database.after_commit(conn, lambda: seen.append(_count(any_database, "c")))
        conn.exec_driver_sql("INSERT INTO c VALUES (1)")
        assert seen == []
    with pytest.raises(RuntimeError, match="boom"), any_database.write() as conn:
        any_database.after_commit(conn, lambda: seen.append("rolled back"))
        raise RuntimeError("boom")

    assert seen == [1]  # the step saw the committed row, from another connection


def test_a_failing_after_commit_step_does_not_fail_the_committed_change(any_database):
    def broken() -> None:
        raise ValueError("broken step")

    with any_database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE d (x integer)")
        any_database.after_commit(conn, broken)

    assert _count(any_database, "d") == 0


def test_after_commit_outside_a_write_transaction_is_refused(any_database):
    with pytest.raises(RuntimeError, match="Database.write"), any_database.read() as conn:
        any_database.after_commit(conn, lambda: None)


def _count(db, table: str) -> int:
    with db.read() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
