"""Secret masking: one mechanism for step records, execution errors and log lines.

A secret is masked as `***` wherever it appears: raw, inside a longer string, JSON-escaped
(once, or twice for a JSON body echoed inside a JSON string), URL-encoded (quote, quote_plus,
the form requests puts in URLs, upper- or lower-case hex), Base64-encoded (standard and
URL-safe, with and without padding, and at any alignment inside a longer Base64 text, such as
a `Basic` header built from `user:secret`), and as a number.

Every process remembers the secret values it has decrypted or loaded (`remember`); the record
fields of executions (executions/fields.py) and the logging filter below mask with that set,
so whatever path writes a record or a log line, a secret that process could know is masked.
This module imports nothing of Django's, so the logging configuration can load it.
"""

import base64
import functools
import json
import logging
import re
import threading
from urllib.parse import quote, quote_plus

SECRET_MASK = "***"
# requests re-quotes URLs keeping these characters as they are (requests.utils.requote_uri).
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
# The Base64 of a shorter secret is two or three letters that occur in any text; its
# `Basic` header is still recognised.
MIN_BASE64_BYTES = 3
# Base64 alignments inside a longer text are recognised for secrets at least this long; a
# shorter secret's inner Base64 is too short to tell from other text.
MIN_ALIGNED_BYTES = 6
_BASE64_CHARS = {"std": "A-Za-z0-9+/", "url": "A-Za-z0-9_-"}
_PERCENT = re.compile(r"%[0-9A-F]{2}")
_BASIC = re.compile(r"(?i)\b(basic\s+)([A-Za-z0-9+/_-]+={0,2})")


def _encoders():
    return {"std": base64.b64encode, "url": base64.urlsafe_b64encode}


def literal_forms(secret):
    """Return the exact spellings of a secret that are masked wherever they occur."""
    forms = {secret}
    # JSON-escaped once, and twice: a downstream that echoes a JSON body inside a JSON string.
    for _ in range(2):
        forms |= {json.dumps(form, ensure_ascii=ascii)[1:-1] for form in forms for ascii in (True, False)}
    forms.update((quote(secret, safe=""), quote(secret), quote(secret, safe=URL_SAFE), quote_plus(secret)))
    raw = secret.encode()
    if len(raw) >= MIN_BASE64_BYTES:
        for encode in _encoders().values():
            full = encode(raw).decode()
            forms.update({full, full.rstrip("=")})
    forms.discard("")
    return forms


def _literal_pattern(text):
    """A regex for a literal whose %XX escapes match in either letter case (servers differ)."""
    parts, position = [], 0
    for match in _PERCENT.finditer(text):
        parts.append(re.escape(text[position : match.start()]))
        parts.append("%" + "".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in match.group(0)[1:]))
        position = match.end()
    parts.append(re.escape(text[position:]))
    return "".join(parts)


def aligned_cores(secret):
    """Return (alphabet, core) pairs: Base64 text present whenever the secret is Base64-encoded.

    Inside a longer text the secret starts at byte offset 0, 1 or 2 of a 3-byte group; for each
    offset, the Base64 characters made of the secret's bytes alone are the same whatever
    surrounds it. Up to three characters either side mix in neighbouring bytes.
    """
    raw = secret.encode()
    if len(raw) < MIN_ALIGNED_BYTES:
        return set()
    cores = set()
    for alphabet, encode in _encoders().items():
        for offset in range(3):
            encoded = encode(b"\0" * offset + raw).decode()
            whole_groups = (offset + len(raw)) // 3
            start = 4 if offset else 0
            core = encoded[start : 4 * whole_groups]
            if len(core) >= 4:
                cores.add((alphabet, core))
    return cores


class Masker:
    """Mask a fixed set of secrets in text and JSON values."""

    def __init__(self, secrets):
        self.secrets = frozenset(s for s in secrets if s)
        literals, cores = set(), set()
        for secret in self.secrets:
            literals |= literal_forms(secret)
            cores |= aligned_cores(secret)
        self.needles = sorted(literals | {core for _, core in cores}, key=len, reverse=True)
        # An escape may come back in lower case, which `in` cannot see: such text always goes to the regex.
        self.percent = any(_PERCENT.search(text) for text in literals)
        parts = []
        for alphabet, core in cores:
            edge = f"[{_BASE64_CHARS[alphabet]}]{{0,3}}"  # characters mixing the secret with its neighbours
            parts.append((len(core), f"{edge}{re.escape(core)}{edge}={{0,2}}"))
        parts += [(len(text), _literal_pattern(text)) for text in literals]
        # Longest first: a secret that contains another is masked whole.
        parts.sort(key=lambda part: part[0], reverse=True)
        self.pattern = re.compile("|".join(pattern for _, pattern in parts)) if parts else None

    def text(self, value):
        if not self.pattern:
            return value
        if "asic" in value or "ASIC" in value:
            value = _BASIC.sub(self._basic, value)
        if any(needle in value for needle in self.needles) or (self.percent and "%" in value):
            value = self.pattern.sub(SECRET_MASK, value)
        return value

    def _basic(self, match):
        token = match.group(2)
        padded = token + "=" * (-len(token) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = decode(padded).decode("utf-8", errors="replace")
            except ValueError:
                continue
            if any(secret in decoded for secret in self.secrets):
                return match.group(1) + SECRET_MASK
        return match.group(0)

    def value(self, value):
        """Return a JSON value with every secret replaced (keys too; numeric secrets whole)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(key): self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and str(value) in self.secrets:
            return SECRET_MASK  # a numeric secret (a PIN, an account number) is masked whole
        return value

    def finds(self, value):
        """Tell whether a text holds a secret in any of the recognised forms."""
        return self.text(value) != value


@functools.lru_cache(maxsize=64)
def masker(secrets):
    """The Masker of a frozenset of secret strings (built once per distinct set)."""
    return Masker(secrets)


def mask(value, secrets):
    """Replace every secret string (and its encodings) inside a JSON value with ***."""
    if not secrets:
        return value
    return masker(frozenset(secrets)).value(value)


# ---------------------------------------------------------------- what this process knows

_lock = threading.Lock()
_known = frozenset()


def secret_strings(value):
    """Return the strings a secret config value holds (numbers as text; booleans and null are not secret)."""
    found, stack = set(), [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item:
                found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            found.add(str(item))
    return found


# A shorter secret would be masked wherever its letters occur, mangling records and log lines.
MIN_SECRET_LENGTH = 4
MAX_SECRET_STRINGS = 50


def secret_value_problem(value):
    """Return why `value` cannot be a secret (nothing to hide, or a string too short), or None."""
    strings = secret_strings(value)
    if not strings:
        return "A secret must hold a non-empty string or a number."
    if any(len(text) < MIN_SECRET_LENGTH for text in strings):
        return f"Each string or number in a secret must be at least {MIN_SECRET_LENGTH} characters long."
    if len(strings) > MAX_SECRET_STRINGS:
        # Every string is looked for in every record and log line, in every process.
        return f"A secret holds at most {MAX_SECRET_STRINGS} strings and numbers; this one holds {len(strings)}."
    return None


def remember(value):
    """Add a secret value's strings to those this process masks in records and logs."""
    global _known
    strings = secret_strings(value)
    if strings <= _known:
        return
    with _lock:
        _known = _known | strings


def known_secrets():
    """Every secret string this process has decrypted or loaded."""
    return _known


def mask_known(value):
    """Mask a JSON value with every secret this process knows."""
    return mask(value, _known) if _known else value


def forget_all():
    """Forget the remembered secrets (for tests, which share one process)."""
    global _known
    with _lock:
        _known = frozenset()


class SecretsFilter(logging.Filter):
    """Mask known secrets in a log record's message, exception and stack text.

    The record is changed in place, so every handler after this one sees the masked text too.
    """

    def filter(self, record):
        secrets = _known
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's problem, not ours
            return True
        masked = mask(message, secrets)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = mask(record.stack_info, secrets)
        return True
