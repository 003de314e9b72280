"""Encryption at rest of secret config values: Fernet (AES-128-CBC + HMAC-SHA256) keys from settings.

SECRETS_ENCRYPTION_KEY holds one or more comma-separated Fernet keys: the first encrypts, every
one decrypts (MultiFernet), so a key is rotated by putting the new one first and running
`manage.py rotate_secrets` before the old one is removed. With no key (development only; the
settings refuse to start without one when DEBUG is off) a key is derived from SECRET_KEY.
"""

import base64
import functools
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any of the configured keys."""


def derived_key(secret_key):
    """The development key: HKDF-SHA256 of SECRET_KEY, as a Fernet key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"workflows.ConfigEntry secrets")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@functools.lru_cache(maxsize=4)
def _fernet(keys, secret_key):
    texts = [key.strip() for key in keys.split(",") if key.strip()]
    try:
        fernets = [Fernet(key) for key in texts] or [Fernet(derived_key(secret_key))]
    except ValueError as exc:
        raise ImproperlyConfigured(f"SECRETS_ENCRYPTION_KEY: {exc}") from None
    return MultiFernet(fernets)


def fernet():
    """The MultiFernet of the configured keys (built once per distinct setting)."""
    return _fernet(settings.SECRETS_ENCRYPTION_KEY, settings.SECRET_KEY)


def encrypt(value):
    """Return a JSON value as a Fernet token (text)."""
    return fernet().encrypt(json.dumps(value).encode()).decode()


def decrypt(token):
    """Return the JSON value a token holds; raise SecretUnreadable with the wrong keys."""
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise SecretUnreadable(
            "A secret config value cannot be decrypted with SECRETS_ENCRYPTION_KEY "
            "(was a key removed before `manage.py rotate_secrets` ran?)."
        ) from None
