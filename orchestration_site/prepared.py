"""Statements run as prepared statements, once per database connection (PostgreSQL).

The engine's hot-path statements, the breaker's read and the API token's read are written by
hand and run through `execute()`: planning them took as long as running them, and building them
with the ORM longer still.
"""

import hashlib
from functools import cache

from django.db import DatabaseError, connection

# PostgreSQL's "prepared statement does not exist", "… already exists", and "cached plan must
# not change result type" (a migration changed a column under a prepared statement).
UNKNOWN_STATEMENT, DUPLICATE_STATEMENT, STALE_PLAN = "26000", "42P05", "0A000"


def instance(model, fields, values):
    """A model instance from a row of `fields`, converted as the ORM converts what it reads."""
    converted = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def _prepared_here():
    """The names of the statements prepared on this database connection (a new one has none),
    or None once the connection lost one: statements then run as they are."""
    raw = connection.connection
    prepared = getattr(connection, "_orchestration_prepared", None)
    if prepared is None or prepared[0] is not raw:
        prepared = connection._orchestration_prepared = (raw, set())
    return prepared[1]


@cache
def _prepared_form(sql):
    """(name, PREPARE statement) for `sql`: the name is the text's digest, so it never means
    another statement, whichever server connection a pooler hands over."""
    name = f"orchestration_{hashlib.sha256(sql.encode()).hexdigest()[:20]}"
    parts = sql.split("%s")
    numbered = "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]
    return name, f"PREPARE {name} AS {numbered}"


def execute(cursor, sql, params):
    """Run `sql` as a statement prepared once per connection: planning it took as long as
    running it.

    Inside a transaction it runs as it is (a failing EXECUTE would abort the transaction). A
    connection whose server lost a prepared statement (a pooler in transaction mode handing
    over another server connection, DISCARD ALL) runs them as they are from then on.
    """
    prepared = _prepared_here()
    if connection.in_atomic_block or prepared is None:
        cursor.execute(sql, params)
        return
    name, prepare = _prepared_form(sql)
    if name not in prepared:
        try:
            cursor.execute(prepare)
        except DatabaseError as error:
            if _pgcode(error) != DUPLICATE_STATEMENT:
                raise
        prepared.add(name)
    try:
        cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
    except DatabaseError as error:
        if _pgcode(error) not in (UNKNOWN_STATEMENT, STALE_PLAN):
            raise
        connection._orchestration_prepared = (connection.connection, None)
        cursor.execute(sql, params)


def _pgcode(error):
    return getattr(error.__cause__, "pgcode", None)
