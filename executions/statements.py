"""The engine's per-step statement on PostgreSQL, written once by hand.

A top-level step that completes while its run is RUNNING is recorded, the next step inserted
already claimed by this worker, and the run's current step moved on, in one statement: one
round trip and one commit, and none of the ORM's query building, which was the largest Python
cost of a step. The SQL is built from the models' own fields, and every value goes through its
field's preparation (`get_db_prep_save`), so masking and JSON encoding are those of any other
write.

The same statement reads what the next step reads first, the config values and its service's
breaker, in its snapshot: the reads a step would make a moment later, without their round
trips (`Prefetched`).
"""

import json
from dataclasses import dataclass
from functools import cache

from django.db import DatabaseError, connection

from breakers.models import CircuitBreaker
from executions.models import StepExecution, WorkflowExecution
from executions.statuses import ExecutionStatus
from workflows.models import ConfigEntry
from workflows.selectors import config_values_from

S = ExecutionStatus


# PostgreSQL's "prepared statement does not exist" (a pooler's other connection, DISCARD ALL).
UNKNOWN_STATEMENT = "26000"


def _field(model, name):
    return model._meta.get_field(name)


def _placeholder(field):
    # The values arrive as untyped literals: INSERT … SELECT needs each one cast to its column.
    return f"%s::{field.cast_db_type(connection)}"


@cache
def _complete_and_start_next_sql(update_names):
    quote = connection.ops.quote_name
    step_table, run_table = quote(StepExecution._meta.db_table), quote(WorkflowExecution._meta.db_table)
    assignments = ", ".join(
        f"{quote(_field(StepExecution, name).column)} = {_placeholder(_field(StepExecution, name))}"
        for name in update_names
    )
    inserted = StepExecution._meta.concrete_fields
    columns = ", ".join(quote(field.column) for field in inserted)
    values = ", ".join(_placeholder(field) for field in inserted)
    pk, status, attempt = (quote(_field(StepExecution, name).column) for name in ("id", "status", "attempt"))
    run_pk, run_status = (quote(_field(WorkflowExecution, name).column) for name in ("id", "status"))
    current_step = quote(_field(WorkflowExecution, "current_step_id").column)
    config_table = quote(ConfigEntry._meta.db_table)
    config_columns = ", ".join(
        f"{quote(_field(ConfigEntry, name).column)}{cast}"
        for name, cast in (("key", ""), ("value", "::text"), ("is_secret", ""))
    )
    breaker_table = quote(CircuitBreaker._meta.db_table)
    breaker_columns = ", ".join(f"b.{quote(field.column)}" for field in CircuitBreaker._meta.concrete_fields)
    breaker_service = quote(_field(CircuitBreaker, "service_id").column)
    return (
        # Identifiers come from the models, every value is a parameter.
        f"WITH done AS ("  # noqa: S608
        f" UPDATE {step_table} SET {assignments}"
        f" WHERE {pk} = %s AND {status} = %s AND {attempt} = %s"
        f" AND EXISTS (SELECT 1 FROM {run_table} WHERE {run_pk} = %s AND {run_status} = %s)"
        f" RETURNING {pk}),"
        f" started AS (INSERT INTO {step_table} ({columns}) SELECT {values} FROM done RETURNING {pk}),"
        f" moved AS (UPDATE {run_table} SET {current_step} = %s WHERE {run_pk} = %s AND EXISTS (SELECT 1 FROM done))"
        f" SELECT (SELECT count(*) FROM started),"
        f" (SELECT json_agg(json_build_array({config_columns}))::text FROM {config_table}),"
        f" now(), {breaker_columns}"
        f" FROM (SELECT 1) AS one LEFT JOIN {breaker_table} AS b ON b.{breaker_service} = %s"
    )


@dataclass(frozen=True)
class Prefetched:
    """What the next step would read first, read with the statement that created it."""

    config: tuple  # (values, secret keys), as workflows.selectors.config_values() returns them
    service_id: str | None
    breaker: CircuitBreaker | None  # that service's breaker with its db_now; None if it has none yet


def _prefetched(service_id, config_rows, db_now, breaker_values):
    value_field = _field(ConfigEntry, "value")
    rows = [(key, value_field.from_db_value(value, None, connection), secret) for key, value, secret in config_rows]
    breaker = None
    if breaker_values[0] is not None:
        names = [field.attname for field in CircuitBreaker._meta.concrete_fields]
        breaker = CircuitBreaker.from_db(connection.alias, names, breaker_values)
        breaker.db_now = db_now
    return Prefetched(config_values_from(rows), service_id, breaker)


def complete_and_start_next(row, fields, next_row, service_id=None):
    """Record `fields` on this worker's claim of `row` and insert `next_row`, if the run is RUNNING.

    Returns what the next step needs first (`Prefetched`, with `service_id`'s breaker) when all
    of it was written; None when nothing was (the claim was lost or the run is not RUNNING), so
    the caller can take the general path.
    """
    names = tuple(fields)
    params = [_field(StepExecution, name).get_db_prep_save(value, connection) for name, value in fields.items()]
    params += [row.pk, S.RUNNING, row.attempt, row.execution_id, S.RUNNING]
    inserted = StepExecution._meta.concrete_fields
    params += [field.get_db_prep_save(field.pre_save(next_row, True), connection) for field in inserted]
    params += [next_row.step_id, row.execution_id, service_id]
    with connection.cursor() as cursor:
        _execute_prepared(cursor, _complete_and_start_next_sql(names), params)
        started, config_rows, db_now, *breaker_values = cursor.fetchone()
    if started != 1:
        return None
    return _prefetched(service_id, json.loads(config_rows or "[]"), db_now, breaker_values)


def _prepared_here():
    """The statements prepared on this database connection (a new connection has none)."""
    raw = connection.connection
    prepared = getattr(connection, "_orchestration_prepared", None)
    if prepared is None or prepared[0] is not raw:
        prepared = connection._orchestration_prepared = (raw, {})
    return prepared[1]


def _execute_prepared(cursor, sql, params):
    """Run `sql` as a prepared statement of this connection, preparing it on first use.

    Planning the statement took as long as running it; a prepared one is planned once per
    connection. If the server lost it (a pooler handed over another connection), it is
    prepared again once.
    """
    prepared = _prepared_here()
    for attempt in (1, 2):
        name = prepared.get(sql)
        if name is None:
            name = f"orchestration_{len(prepared) + 1}"
            numbered = "".join(f"{part}${n}" for n, part in enumerate(sql.split("%s")[:-1], start=1))
            cursor.execute(f"PREPARE {name} AS {numbered}{sql.split('%s')[-1]}")
            prepared[sql] = name
        try:
            cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
            return
        except DatabaseError as error:
            if attempt == 2 or getattr(error.__cause__, "pgcode", None) != UNKNOWN_STATEMENT:
                raise
            prepared.clear()
