"""API authentication: DRF's token authentication, with the user's permissions in the same query."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from orchestration_site import prepared


@cache
def _token_sql():
    """The token, its user and the "app_label.codename" of the user's own and group permissions
    (as backends.permission_names() reads them), for one key."""
    quote, user_model = connection.ops.quote_name, get_user_model()

    def table(model):
        return quote(model._meta.db_table)

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    # The many-to-many tables by their fields, whatever the user model is called.
    own = user_model._meta.get_field("user_permissions")
    in_groups = user_model._meta.get_field("groups")
    of_groups = Group._meta.get_field("permissions")
    token_columns = ", ".join(f"t.{quote(field.column)}" for field in Token._meta.concrete_fields)
    user_columns = ", ".join(f"u.{quote(field.column)}" for field in user_model._meta.concrete_fields)
    user_id = f"u.{quote(user_model._meta.pk.column)}"
    permission_ids = (
        f"SELECT {quote(own.m2m_reverse_name())} FROM {quote(own.m2m_db_table())}"  # noqa: S608
        f" WHERE {quote(own.m2m_column_name())} = {user_id}"
        f" UNION SELECT g.{quote(of_groups.m2m_reverse_name())} FROM {quote(of_groups.m2m_db_table())} AS g"
        f" JOIN {quote(in_groups.m2m_db_table())} AS m"
        f" ON m.{quote(in_groups.m2m_reverse_name())} = g.{quote(of_groups.m2m_column_name())}"
        f" WHERE m.{quote(in_groups.m2m_column_name())} = {user_id}"
    )
    names = (
        f"ARRAY(SELECT c.{column(ContentType, 'app_label')} || '.' || p.{column(Permission, 'codename')}"  # noqa: S608
        f" FROM {table(Permission)} AS p JOIN {table(ContentType)} AS c"
        f" ON c.{column(ContentType, 'id')} = p.{column(Permission, 'content_type')}"
        f" WHERE p.{column(Permission, 'id')} IN ({permission_ids}))"
    )
    return (
        f"SELECT {token_columns}, {user_columns}, {names} FROM {table(Token)} AS t"  # noqa: S608
        f" JOIN {table(user_model)} AS u ON {user_id} = t.{column(Token, 'user')} WHERE t.{column(Token, 'key')} = %s"
    )


def _token_with_permissions(key):
    """(token with its user, the user's permission names), or None for an unknown key."""
    with connection.cursor() as cursor:
        prepared.execute(cursor, _token_sql(), [key])
        values = cursor.fetchone()
    if values is None:
        return None
    token_fields, user_fields = Token._meta.concrete_fields, get_user_model()._meta.concrete_fields
    token = prepared.instance(Token, token_fields, values[: len(token_fields)])
    token.user = prepared.instance(get_user_model(), user_fields, values[len(token_fields) : -1])
    return token, values[-1]


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's; on PostgreSQL the token, its user and the user's
    permissions come in one prepared statement (every API request checks a permission, and the
    ORM's building of the same query cost ten times its round trip). Permission changes apply
    from the next request, as before."""

    def authenticate_credentials(self, key):
        if connection.vendor != "postgresql" or self.get_model() is not Token:
            return super().authenticate_credentials(key)
        found = _token_with_permissions(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, permission_names = found
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if not token.user.is_superuser:  # a superuser's checks pass without the list
            token.user._perm_cache = set(permission_names)
        return (token.user, token)
