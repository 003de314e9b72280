"""Empty the tables after a transactional test with DELETE, not `flush`.

Django's teardown runs `flush`: a TRUNCATE of every table, then post_migrate, which makes the
content types, permissions and role groups again. On PostgreSQL that is about 0.3 s a test,
more than most of these tests take themselves; DELETE in one transaction takes a few
milliseconds. Content types and permissions come only from migrate, so they are kept; the role
groups are made again as post_migrate would.
"""

from django.db import connections, transaction
from django.test import TransactionTestCase

from orchestration_site.roles import roles_refresh

KEPT = {"django_content_type", "auth_permission", "django_migrations"}

_django_teardown = TransactionTestCase._fixture_teardown
_tables = {}


def _emptied_tables(connection):
    if connection.alias not in _tables:
        names = connection.introspection.django_table_names(only_existing=True, include_views=False)
        _tables[connection.alias] = [name for name in sorted(names) if name not in KEPT]
    return _tables[connection.alias]


def _fixture_teardown(self):
    if self.available_apps is not None or self.serialized_rollback or self.fixtures:
        return _django_teardown(self)
    for alias in self._databases_names(include_mirrors=False):
        connection = connections[alias]
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            for table in _emptied_tables(connection):  # foreign keys are checked at commit
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
            roles_refresh(using=alias)


def install():
    TransactionTestCase._fixture_teardown = _fixture_teardown
