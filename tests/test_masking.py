"""Secret masking: every spelling of a secret a downstream may echo becomes ***."""

import base64
import json
import logging
from urllib.parse import quote, quote_plus

import pytest

from orchestration_site import masking
from orchestration_site.masking import SECRET_MASK, SecretsFilter, mask

SECRET = "Sx7 Tk+9/Qp=Zr&w"


def b64(text, urlsafe=False):
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(text.encode()).decode()


FORMS = {
    "raw": SECRET,
    "json-escaped": json.dumps(SECRET)[1:-1],
    "quote": quote(SECRET, safe=""),
    "quote (path)": quote(SECRET),
    "quote_plus": quote_plus(SECRET),
    "lower-case hex": quote(SECRET, safe="").replace("%2B", "%2b").replace("%2F", "%2f"),
    "base64": b64(SECRET),
    "base64 unpadded": b64(SECRET).rstrip("="),
    "urlsafe base64": b64(SECRET, urlsafe=True),
    "urlsafe base64 unpadded": b64(SECRET, urlsafe=True).rstrip("="),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_is_masked_alone_and_inside_longer_text(form):
    text = FORMS[form]
    assert mask(text, {SECRET}) == SECRET_MASK
    assert mask(f"before {text} after", {SECRET}) == f"before {SECRET_MASK} after"


@pytest.mark.parametrize("prefix", ["", "a", "ab", "abc", '{"password": "'])
@pytest.mark.parametrize("urlsafe", [False, True])
def test_base64_of_a_longer_text_holding_the_secret_is_masked_at_any_alignment(prefix, urlsafe):
    encoded = b64(f"{prefix}{SECRET} and more", urlsafe=urlsafe)
    masked = mask(f"echo={encoded};", {SECRET})
    assert SECRET_MASK in masked
    # No three consecutive bytes of the secret can be decoded from what is left.
    for alignment in range(3):
        for leftover in masked.split(SECRET_MASK):
            assert b64(SECRET)[4:12] not in leftover
            assert base64.b64encode(b"\0" * alignment + SECRET.encode()).decode()[4:12] not in leftover


def test_a_basic_header_built_from_the_secret_is_masked_whole():
    header = "Basic " + b64(f"carrier-user:{SECRET}")
    assert mask({"Authorization": header}, {SECRET}) == {"Authorization": "Basic ***"}
    # Even for a secret too short for its Base64 to be recognised inside other text.
    assert mask("Basic " + b64("u:pw1"), {"pw1"}) == "Basic ***"
    assert mask("Basic " + b64("u:other"), {"pw1"}) == "Basic " + b64("u:other")


def test_json_values_keys_and_numeric_secrets():
    value = {SECRET: [f"x{SECRET}y", 987654, 987654.5, True], "n": 987654}
    expected = {SECRET_MASK: [f"x{SECRET_MASK}y", SECRET_MASK, 987654.5, True], "n": SECRET_MASK}
    assert mask(value, {SECRET, "987654"}) == expected


def test_the_longest_secret_is_masked_first():
    assert mask("key-A-long", {"key-A", "key-A-long"}) == SECRET_MASK


def test_nothing_to_mask_returns_the_value_itself():
    value = {"a": ["b"]}
    assert mask(value, set()) is value
    assert mask("no secret here", {SECRET}) == "no secret here"


def test_remembered_secrets_are_masked_by_mask_known():
    assert masking.mask_known(SECRET) == SECRET
    masking.remember({"apiKey": SECRET, "port": 8443, "sandbox": True, "none": None})
    assert masking.mask_known([SECRET, 8443, True]) == [SECRET_MASK, SECRET_MASK, True]
    assert masking.known_secrets() == {SECRET, "8443"}


def _record(msg, args=(), exc_info=None):
    return logging.LogRecord("test", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_the_logging_filter_masks_messages_arguments_and_tracebacks():
    masking.remember(SECRET)
    record = _record("calling %s with %s", ("https://api.test/?k=" + quote_plus(SECRET), {"token": SECRET}))
    try:
        raise ValueError(f"bad token {SECRET}")
    except ValueError:
        import sys

        failing = _record("failed", exc_info=sys.exc_info())

    for item in (record, failing):
        assert SecretsFilter().filter(item) is True
        text = logging.Formatter().format(item)
        assert SECRET not in text
        assert quote_plus(SECRET) not in text
        assert SECRET_MASK in text


def test_the_logging_filter_masks_what_every_logger_writes(caplog):
    masking.remember(SECRET)
    with caplog.at_level(logging.INFO):
        logging.getLogger("executions.engine.http").info("GET %s", f"https://api.test/?key={quote_plus(SECRET)}")

    assert caplog.records
    assert SECRET not in caplog.text
    assert quote_plus(SECRET) not in caplog.text
    assert f"key={SECRET_MASK}" in caplog.text


def test_the_base64_of_a_one_or_two_character_secret_is_not_masked_everywhere():
    assert mask("MQ== MQ", {"1"}) == "MQ== MQ"
    assert mask("cHcx", {"pw1"}) == SECRET_MASK


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_a_secret_json_escaped_once_or_twice_is_masked(ensure_ascii):
    secret = 'Xq7"vB\\m9-Kp2Lz pässwörd'
    once = json.dumps(secret, ensure_ascii=ensure_ascii)[1:-1]
    twice = json.dumps(once, ensure_ascii=ensure_ascii)[1:-1]
    # A downstream answering 500 with the JSON body it received, inside a JSON string of its own.
    echoed = json.dumps({"error": json.dumps({"s": secret}, ensure_ascii=ensure_ascii)}, ensure_ascii=ensure_ascii)

    assert mask(f"<{once}>", {secret}) == f"<{SECRET_MASK}>"
    assert mask(f"<{twice}>", {secret}) == f"<{SECRET_MASK}>"
    assert secret not in mask(echoed, {secret}) and twice not in mask(echoed, {secret})
