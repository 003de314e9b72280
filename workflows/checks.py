"""System checks of the config store: the encryption keys must be usable."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs=None, **kwargs):
    """Every key in SECRETS_ENCRYPTION_KEY must be a Fernet key."""
    from workflows import crypto

    try:
        crypto.fernet()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint="Generate one with Fernet.generate_key().", id="workflows.E001")]
    return []
