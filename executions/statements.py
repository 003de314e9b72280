"""The engine's hot-path statements on PostgreSQL, written once by hand.

A top-level step that completes while its run is RUNNING is recorded, the next step inserted
already claimed by this worker, and the run's current step moved on, in one statement: one
round trip and one commit, and none of the ORM's query building, which was the largest Python
cost of a step. The start, a claim and a container's join are written the same way. The SQL is
built from the models' own fields, and every value goes through its field's preparation
(`get_db_prep_save`), so masking and JSON encoding are those of any other write.

The same statements read what the next step reads first, the config values and its service's
breaker, in their snapshot: the reads a step would make a moment later, without their round
trips (`Prefetched`).
"""

import json
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection

from breakers.models import CircuitBreaker
from executions.models import StepExecution, WorkflowExecution
from executions.statuses import ExecutionStatus
from orchestration_site.masking import known_secrets, masker
from orchestration_site.prepared import execute as _execute
from orchestration_site.prepared import instance as _instance
from workflows.models import ConfigEntry
from workflows.selectors import config_values_from

S = ExecutionStatus


def _field(model, name):
    return model._meta.get_field(name)


def _placeholder(field):
    # The values arrive as untyped literals: INSERT … SELECT needs each one cast to its column.
    # Text is cast without its length (a cast to varchar(n) would cut a longer value silently):
    # the column's own check refuses it with a DataError, as the ORM's statement would.
    if field.get_internal_type() == "CharField":
        return f"%s::{connection.ops.cast_char_field_without_max_length}"
    return f"%s::{field.cast_db_type(connection)}"


def _column(model, name):
    return connection.ops.quote_name(_field(model, name).column)


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _done_sql(update_names, also=""):
    """The CTE `done`: the outcome written on this worker's claim, only while the run is RUNNING
    (and `also`, more conditions, holds).

    Its parameters: the update's values, then the row's id, RUNNING, its attempt, the run's
    id and RUNNING (`_done_params`), then those of `also`.
    """
    step_table, run_table = _table(StepExecution), _table(WorkflowExecution)
    assignments = ", ".join(
        f"{_column(StepExecution, name)} = {_placeholder(_field(StepExecution, name))}" for name in update_names
    )
    pk, status, attempt = (_column(StepExecution, name) for name in ("id", "status", "attempt"))
    run_pk, run_status = _column(WorkflowExecution, "id"), _column(WorkflowExecution, "status")
    return (
        f"done AS (UPDATE {step_table} SET {assignments}"  # noqa: S608 (identifiers from the models)
        f" WHERE {pk} = %s AND {status} = %s AND {attempt} = %s"
        f" AND EXISTS (SELECT 1 FROM {run_table} WHERE {run_pk} = %s AND {run_status} = %s){also}"
        f" RETURNING {pk})"
    )


def _done_params(row, fields):
    params = [_field(StepExecution, name).get_db_prep_save(value, connection) for name, value in fields.items()]
    return [*params, row.pk, S.RUNNING, row.attempt, row.execution_id, S.RUNNING]


@cache
def _complete_and_start_next_sql(update_names):
    step_table, run_table = _table(StepExecution), _table(WorkflowExecution)
    columns, values = _insert_columns()
    pk, run_pk = _column(StepExecution, "id"), _column(WorkflowExecution, "id")
    current_step = _column(WorkflowExecution, "current_step_id")
    return (
        # Identifiers come from the models, every value is a parameter.
        f"WITH {_done_sql(update_names)},"  # noqa: S608
        f" started AS (INSERT INTO {step_table} ({columns}) SELECT {values} FROM done RETURNING {pk}),"
        f" moved AS (UPDATE {run_table} SET {current_step} = %s WHERE {run_pk} = %s AND EXISTS (SELECT 1 FROM done))"
        f" SELECT (SELECT count(*) FROM started), {_read_ahead_sql()}"
    )


def _insert_columns():
    """(the step table's columns, one row of their cast placeholders) for an INSERT."""
    inserted = StepExecution._meta.concrete_fields
    columns = ", ".join(_column(StepExecution, field.name) for field in inserted)
    return columns, ", ".join(_placeholder(field) for field in inserted)


def _read_ahead_sql():
    """Columns and FROM of a statement's final SELECT that also reads what the next step reads
    first: the config values, the database's clock (as Django's Now(), not the transaction's
    start), and the breaker of one service (the last parameter; NULL reads none)."""
    config_columns = ", ".join(
        f"{_column(ConfigEntry, name)}{cast}" for name, cast in (("key", ""), ("value", "::text"), ("is_secret", ""))
    )
    breaker_columns = ", ".join(
        f"b.{connection.ops.quote_name(field.column)}" for field in CircuitBreaker._meta.concrete_fields
    )
    return (
        f"(SELECT json_agg(json_build_array({config_columns}))::text FROM {_table(ConfigEntry)}),"  # noqa: S608
        f" statement_timestamp(), {breaker_columns}"
        f" FROM (SELECT 1) AS one LEFT JOIN {_table(CircuitBreaker)} AS b"
        f" ON b.{_column(CircuitBreaker, 'service_id')} = %s"
    )


@dataclass(frozen=True)
class Prefetched:
    """What the next step would read first, read with the statement that created it."""

    config_rows: list  # [key, value as stored (JSON text), is_secret]
    service_id: str | None
    breaker: CircuitBreaker | None  # that service's breaker with its db_now; None if it has none yet

    def config(self):
        """(values, secret keys), as workflows.selectors.config_values() returns them.

        Decoded (and secrets decrypted) when the step builds its context, where a failure fails
        the step, as a failing read of its own would.
        """
        return config_values_from(self.config_rows)


def _prefetched(service_id, config_rows, db_now, *breaker_values):
    breaker = None
    if breaker_values[0] is not None:
        breaker = _instance(CircuitBreaker, CircuitBreaker._meta.concrete_fields, breaker_values)
        breaker.db_now = db_now
    return Prefetched(json.loads(config_rows or "[]"), service_id, breaker)


def complete_and_start_next(row, fields, next_row, service_id=None):
    """Record `fields` on this worker's claim of `row` and insert `next_row`, if the run is RUNNING.

    Returns what the next step needs first (`Prefetched`, with `service_id`'s breaker) when all
    of it was written; None when nothing was (the claim was lost or the run is not RUNNING), so
    the caller can take the general path.
    """
    params = [*_done_params(row, fields), *_new_row_params(next_row), next_row.step_id, row.execution_id]
    return _start_reading_ahead(_complete_and_start_next_sql(tuple(fields)), params, next_row, service_id)


def _new_row_params(row):
    """Every column of a row to insert, prepared as bulk_create prepares them."""
    fields = StepExecution._meta.concrete_fields
    return [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]


def _start_reading_ahead(sql, params, row, service_id):
    """Run a statement that inserts `row` and ends with _read_ahead_sql(): return what the row's
    step reads first (`Prefetched`), or None when the statement inserted nothing."""
    with connection.cursor() as cursor:
        _execute(cursor, sql, [*params, service_id])
        started, *read_ahead = cursor.fetchone()
    if started != 1:
        return None
    _saved([row])
    return _prefetched(service_id, *read_ahead)


@cache
def _start_sql():
    step_table, run_table = _table(StepExecution), _table(WorkflowExecution)
    columns, values = _insert_columns()
    run = {name: _column(WorkflowExecution, name) for name in ("id", "status", "started_at", "current_step_id")}
    return (
        f"WITH moved AS (UPDATE {run_table} SET {run['status']} = %s,"  # noqa: S608
        f" {run['started_at']} = %s::timestamptz, {run['current_step_id']} = %s"
        f" WHERE {run['id']} = %s AND {run['status']} = %s RETURNING 1),"
        f" started AS (INSERT INTO {step_table} ({columns}) SELECT {values} FROM moved RETURNING 1)"
        f" SELECT (SELECT count(*) FROM started), {_read_ahead_sql()}"
    )


def start(execution, first_row, now, service_id=None):
    """Move a PENDING run to RUNNING and insert its first step already claimed, in one statement.

    Returns what the first step reads first (`Prefetched`), or None when the run was not
    PENDING any more (another delivery of the message started it): nothing was written.
    """
    params = [S.RUNNING, now, first_row.step_id, execution.pk, S.PENDING, *_new_row_params(first_row)]
    return _start_reading_ahead(_start_sql(), params, first_row, service_id)


@cache
def _record_completed_sql(update_names):
    return f"WITH {_done_sql(update_names)} SELECT count(*) FROM done"  # noqa: S608


@cache
def _record_completed_locking_parent_sql(update_names):
    # Child first, then its container, as every lock the engine takes: the parent's row is
    # read (and locked) only once `done` has run.
    columns = ", ".join(f"p.{_column(StepExecution, field.name)}" for field in _parent_fields())
    return (
        f"WITH {_done_sql(update_names)} SELECT {columns} FROM {_table(StepExecution)} AS p"  # noqa: S608
        f" WHERE p.{_column(StepExecution, 'id')} = %s AND EXISTS (SELECT 1 FROM done) FOR UPDATE OF p"
    )


def _parent_fields():
    # A container's input can be large (a FOR_EACH's items): not needed to join it.
    return [field for field in StepExecution._meta.concrete_fields if field.name != "input"]


def record_completed(row, fields):
    """Record `fields` on this worker's claim of `row` if the run is RUNNING; True if written."""
    with connection.cursor() as cursor:
        _execute(cursor, _record_completed_sql(tuple(fields)), _done_params(row, fields))
        return cursor.fetchone()[0] == 1


def record_completed_locking_parent(row, fields):
    """record_completed(), and in the same statement lock and read the row's container.

    Returns the container (its input deferred) if the record was written, else None. Must run
    in the transaction that then joins the container.
    """
    with connection.cursor() as cursor:
        sql = _record_completed_locking_parent_sql(tuple(fields))
        _execute(cursor, sql, [*_done_params(row, fields), row.parent_id])
        values = cursor.fetchone()
    return None if values is None else _instance(StepExecution, _parent_fields(), values)


@cache
def _step_with_run_sql():
    step_columns = ", ".join(f"s.{_column(StepExecution, f.name)}" for f in StepExecution._meta.concrete_fields)
    run_columns = ", ".join(f"e.{_column(WorkflowExecution, f.name)}" for f in WorkflowExecution._meta.concrete_fields)
    return (
        f"SELECT {step_columns}, {run_columns} FROM {_table(StepExecution)} AS s"  # noqa: S608
        f" JOIN {_table(WorkflowExecution)} AS e ON e.{_column(WorkflowExecution, 'id')}"
        f" = s.{_column(StepExecution, 'execution')} WHERE s.{_column(StepExecution, 'id')} = %s"
    )


def step_with_run(row_id):
    """The step record with its execution (as select_related reads them), or None."""
    with connection.cursor() as cursor:
        _execute(cursor, _step_with_run_sql(), [row_id])
        values = cursor.fetchone()
    if values is None:
        return None
    step_fields, run_fields = StepExecution._meta.concrete_fields, WorkflowExecution._meta.concrete_fields
    row = _instance(StepExecution, step_fields, values[: len(step_fields)])
    row.execution = _instance(WorkflowExecution, run_fields, values[len(step_fields) :])
    return row


@cache
def _execution_sql():
    columns = ", ".join(_column(WorkflowExecution, field.name) for field in WorkflowExecution._meta.concrete_fields)
    return f"SELECT {columns} FROM {_table(WorkflowExecution)} WHERE {_column(WorkflowExecution, 'id')} = %s"  # noqa: S608


def execution(execution_id):
    """The execution's record (as the ORM reads it), or None."""
    with connection.cursor() as cursor:
        _execute(cursor, _execution_sql(), [execution_id])
        values = cursor.fetchone()
    return None if values is None else _instance(WorkflowExecution, WorkflowExecution._meta.concrete_fields, values)


@cache
def _claim_sql():
    step = {name: _column(StepExecution, name) for name in ("id", "status", "started_at", "scheduled_at")}
    lease = _column(StepExecution, "lease_expires_at")
    return (
        f"WITH claimed AS (UPDATE {_table(StepExecution)} SET {step['status']} = %s,"  # noqa: S608
        f" {step['started_at']} = COALESCE({step['started_at']}, %s::timestamptz),"
        f" {step['scheduled_at']} = NULL, {lease} = %s::timestamptz"
        f" WHERE {step['id']} = %s AND (({step['status']} = %s AND {step['scheduled_at']} IS NULL)"
        f" OR ({step['status']} = %s AND {step['scheduled_at']} <= %s::timestamptz)) RETURNING 1)"
        f" SELECT (SELECT count(*) FROM claimed), {_read_ahead_sql()}"
    )


def claim(row_id, now, lease_until, service_id=None):
    """runner.claim()'s conditional UPDATE (PENDING, or WAITING and due → RUNNING).

    Returns what the step reads first (`Prefetched`) if this worker won the claim, else None.
    """
    params = [S.RUNNING, now, lease_until, row_id, S.PENDING, S.WAITING, now, service_id]
    with connection.cursor() as cursor:
        _execute(cursor, _claim_sql(), params)
        claimed, *read_ahead = cursor.fetchone()
    return _prefetched(service_id, *read_ahead) if claimed == 1 else None


@cache
def _join_sql(rows):
    """Set a container's state (its row already locked) and insert `rows` children."""
    step_table = _table(StepExecution)
    columns, row_values = _insert_columns()
    values = ", ".join(f"({row_values})" for _ in range(rows))
    state, pk = _column(StepExecution, "state"), _column(StepExecution, "id")
    return (
        f"WITH moved AS (UPDATE {step_table} SET {state} = %s::jsonb WHERE {pk} = %s),"  # noqa: S608
        f" started AS (INSERT INTO {step_table} ({columns}) VALUES {values})"
        f" SELECT {_read_ahead_sql()}"
    )


def join(parent, state, children, service_id=None):
    """Store a container's new state and insert the children it starts (one or more), in the
    transaction that holds its row lock; return what the first child reads first (`Prefetched`)."""
    assert children, "a join statement starts at least one child"
    params = [_field(StepExecution, "state").get_db_prep_save(state, connection), parent.pk]
    for child in children:
        params += _new_row_params(child)
    with connection.cursor() as cursor:
        _execute(cursor, _join_sql(len(children)), [*params, service_id])
        prefetched = _prefetched(service_id, *cursor.fetchone())
    _saved(children)
    return prefetched


def _saved(rows):
    # As bulk_create leaves them: saved rows of this database.
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias


@cache
def _complete_and_finish_sql(update_names):
    step_table, run_table = _table(StepExecution), _table(WorkflowExecution)
    pk, execution, scope, status = (_column(StepExecution, name) for name in ("id", "execution", "scope", "status"))
    step_id, output, variables, completed_at = (
        _column(StepExecution, name) for name in ("step_id", "output", "variables", "completed_at")
    )
    run = {name: _column(WorkflowExecution, name) for name in ("id", "status", "completed_at", "current_step_id")}
    run_output, duration, metadata = (_column(WorkflowExecution, name) for name in ("output", "duration", "metadata"))
    # Written only if the run then ends: nothing else of it open, no step failed before. Else
    # nothing is, and the general path records the step and decides, in one transaction.
    ends = (
        f" AND NOT EXISTS (SELECT 1 FROM {step_table} AS o WHERE o.{execution} = %s"  # noqa: S608
        f" AND o.{status} = ANY(%s) AND o.{pk} <> %s)"
        f" AND NOT EXISTS (SELECT 1 FROM {run_table} AS r WHERE r.{run['id']} = %s"
        f" AND COALESCE(r.{metadata} ? 'failedSteps', false))"
    )
    return (
        f"WITH {_done_sql(update_names, ends)},"  # noqa: S608 (identifiers from the models)
        # The run's output as runner.execution_output() builds it: every top-level result, this
        # one (not yet visible to the statement) last; a later result of an id wins, and so do
        # later variables of a name.
        f" results AS (SELECT {step_id} AS step_id, {output} AS output, {variables} AS variables,"
        f" {completed_at} AS completed_at FROM {step_table}"
        f" WHERE {execution} = %s AND {scope} = '' AND {status} = %s AND {pk} <> %s"
        f" UNION ALL SELECT %s::varchar, %s::jsonb, %s::jsonb, %s::timestamptz),"
        # Past MAX_RUN_OUTPUT_BYTES the results are left in their step records, as in execution_output().
        f" sized AS (SELECT COALESCE(sum(COALESCE(octet_length(output::text), 0)"
        f" + COALESCE(octet_length(variables::text), 0)), 0) AS bytes"
        f" FROM results),"
        f" finished AS (UPDATE {run_table} SET {run['status']} = %s, {run['completed_at']} = %s::timestamptz,"
        f" {run['current_step_id']} = NULL, {duration} = %s::integer, {run_output} = CASE"
        f" WHEN (SELECT bytes FROM sized) > %s THEN jsonb_build_object('steps', '{{}}'::jsonb,"
        f" 'variables', '{{}}'::jsonb, 'omitted', jsonb_build_object('totalBytes', (SELECT bytes FROM sized),"
        f" 'limitBytes', %s::bigint)) ELSE jsonb_build_object("
        f"'steps', (SELECT COALESCE(jsonb_object_agg(step_id, output ORDER BY completed_at), '{{}}') FROM results),"
        f" 'variables', (SELECT COALESCE(jsonb_object_agg(v.key, v.value ORDER BY r.completed_at), '{{}}')"
        f" FROM results AS r, jsonb_each(CASE WHEN jsonb_typeof(r.variables) = 'object'"
        f" THEN r.variables ELSE '{{}}' END) AS v)) END"
        f" WHERE {run['id']} = %s AND {run['status']} = %s AND EXISTS (SELECT 1 FROM done)"
        f" RETURNING {run_output}::text AS output)"
        f" SELECT (SELECT count(*) FROM done), (SELECT output FROM finished)"
    )


def complete_and_finish(row, fields, duration, open_statuses):
    """Record `fields` on this worker's claim of the run's last top-level step and complete the
    run with its output, if nothing else of it is open and no step failed.

    Returns None when nothing was written (the claim was lost, the run is not RUNNING, or it
    does not end here); else whether the run was completed too (not: its status moved
    meanwhile, say to PAUSED, whose resume finishes it; the caller checks under the lock).
    """
    output_field, variables_field = _field(StepExecution, "output"), _field(StepExecution, "variables")
    params = _done_params(row, fields)
    params += [row.execution_id, list(open_statuses), row.pk, row.execution_id]
    params += [row.execution_id, S.COMPLETED, row.pk, row.step_id]
    params += [output_field.get_db_prep_save(fields["output"], connection)]
    params += [variables_field.get_db_prep_save(fields["variables"], connection), fields["completed_at"]]
    limit = settings.ORCHESTRATION["MAX_RUN_OUTPUT_BYTES"]
    params += [S.COMPLETED, fields["completed_at"], duration, limit, limit, row.execution_id, S.RUNNING]
    with connection.cursor() as cursor:
        _execute(cursor, _complete_and_finish_sql(tuple(fields)), params)
        done, output = cursor.fetchone()
    if done != 1:
        return None
    if output is not None and known_secrets() and masker(known_secrets()).finds(output):
        # The step records were masked with what their writers knew; the run's output is masked
        # with everything this process knows, as the ORM's write of it would.
        WorkflowExecution.objects.filter(pk=row.execution_id).update(output=json.loads(output))
    return output is not None
