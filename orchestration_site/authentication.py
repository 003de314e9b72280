"""API authentication: DRF's token authentication, with the user's permissions in the same query."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from orchestration_site.backends import permission_names


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's; on PostgreSQL the token, its user and the user's
    permissions come in one query (every API request checks a permission, so it saves one query
    per request). Permission changes apply from the next request, as before."""

    def authenticate_credentials(self, key):
        if connection.vendor != "postgresql":
            return super().authenticate_credentials(key)
        tokens = self.get_model().objects.select_related("user")
        tokens = tokens.annotate(permission_names=ArraySubquery(permission_names(OuterRef("user_id"))))
        try:
            token = tokens.get(key=key)
        except self.get_model().DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if not token.user.is_superuser:  # a superuser's checks pass without the list
            token.user._perm_cache = set(token.permission_names)
        return (token.user, token)
