"""Writes on the driver's cursor: the statements a registration runs holding the write lock.

Every writer queues for one lock (`provenance.store.transaction`), so what a
registration spends holding it is spent by every writer behind it. Through
SQLAlchemy's session, one Core ``INSERT`` costs some 20-40 microseconds of
Python before the driver sees it (execution context, events, result set-up);
the driver itself takes 3-10 microseconds on SQLite. `run` compiles each
statement once per dialect and set of columns, by SQLAlchemy (so the SQL,
its parameter style, its casts and each type's bind processing are
SQLAlchemy's, the same as a session would send), then executes it on the
DBAPI cursor of the session's own connection, in the session's transaction.

A driver error is raised as SQLAlchemy's, as a session would raise it, so
callers handle one kind (`provenance.store.database_errors`). Statements run
here pass no SQLAlchemy events: a ``before_cursor_execute`` listener does
not see them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import Session

# How one row of values becomes the driver's arguments: the SQL, then either the
# positional order of (key, bind processor) or, for a named style, the processors by key.
_Plan = tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...] | None, dict[str, Callable]]
_plans: dict[tuple[int, str, tuple[str, ...]], tuple[UpdateBase, _Plan]] = {}


def _plan(statement: UpdateBase, dialect: sa.engine.Dialect, keys: tuple[str, ...]) -> _Plan:
    key = (id(statement), dialect.name, keys)
    found = _plans.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.post_compile_params
        or set(compiled.bind_names.values()) != set(keys)
    ):
        # SQLAlchemy's execution context would compute or rename these; this path does not.
        raise TypeError(f"plain.run: {statement} needs exactly one plain parameter per column given")
    processors = dict(compiled._bind_processors)
    order = None
    if compiled.positiontup is not None:
        order = tuple((name, processors.get(name)) for name in compiled.positiontup)
    made = (compiled.string, order, processors)
    _plans[key] = (statement, made)  # the statement is kept alive: its id stays its own
    return made


def _arguments(plan: _Plan, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
    # Every value goes through its type's bind processor, None too, as SQLAlchemy's own
    # execution does (a JSON column's None is JSON 'null').
    _, order, processors = plan
    if order is not None:
        return [values[name] if process is None else process(values[name]) for name, process in order]
    params = dict(values)
    for name, process in processors.items():
        params[name] = process(params[name])
    return params


def run(session: Session, statement: UpdateBase, values: Mapping[str, Any]) -> list[tuple]:
    """Execute ``statement`` with one row of ``values`` in ``session``'s transaction;
    returns the rows it returns (an ``INSERT … RETURNING``), else []."""
    return _execute(session, statement, [values], many=False)


def run_many(session: Session, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]) -> None:
    """Execute ``statement`` once per row of ``rows`` (all with the same keys)."""
    if rows:
        _execute(session, statement, rows, many=True)


def _execute(
    session: Session, statement: UpdateBase, rows: Sequence[Mapping[str, Any]], *, many: bool
) -> list[tuple]:
    connection = session.connection()
    dialect = connection.dialect
    made = _plan(statement, dialect, tuple(rows[0]))
    arguments = [_arguments(made, row) for row in rows]
    cursor = connection.connection.dbapi_connection.cursor()
    error = dialect.loaded_dbapi.Error
    try:
        if many:
            cursor.executemany(made[0], arguments)
            return []
        cursor.execute(made[0], arguments[0])
        return list(cursor.fetchall()) if cursor.description else []
    except error as exc:
        raise sa.exc.DBAPIError.instance(
            made[0], arguments[0], exc, error, dialect=dialect
        ) from exc
    finally:
        cursor.close()
