"""Users' patterns are weighed before they are compiled, so none can take a process's memory."""

import re
import time

import pytest

from workflows.definition.patterns import MAX_PATTERN_LENGTH, MAX_PATTERN_WEIGHT, PatternError, compile_pattern

EVERYDAY = [
    r"^\d{5}(-\d{4})?$",
    r"^[A-Z]{2}\d{6,10}$",
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$",
    r"^\p{Lu}\p{Ll}+(?: \p{Lu}\p{Ll}+)*$",
    r"(?i)^(?:auto|home|life)$",
    r"(?x) ^ \d{3} - \d{4} $  # a phone number's local part",
    r"^.{0,10000}$",
]

# Each compiles to more nodes than the limit: the first three take minutes and gigabytes.
TOO_HEAVY = [
    r"(?:(?:a{1000}){1000}){1000}",
    r"(?:a{3000}){3000}",
    r"((a{100}){100}){100}",
    r"a{100000}",
    r"(?:a{1000}){1000}+",
    r"(?:a{1000}){,1000}?",
    r"(?>(?:a{200}){200})",
    r"(?=(?:a{200}){200})",
    r"(a)(?(1)(?:b{200}){200}|c)",
    r"(?V1)[[a-z]--[aeiou]]{30000}",
    r"(?fi)[\x00-\U0010ffff]{19990}",  # full case folding makes each set a choice of 105 strings
    r"\X{19990}",  # a grapheme cluster weighs eight
    "(?x) (?:a{1000} # a comment's ( hides nothing\n ){1000}",
]


@pytest.mark.parametrize("pattern", EVERYDAY)
def test_everyday_patterns_compile(pattern):
    assert compile_pattern(pattern).pattern == pattern


@pytest.mark.parametrize("pattern", TOO_HEAVY)
def test_patterns_that_repeat_too_much_are_refused_without_compiling(pattern):
    started = time.perf_counter()
    with pytest.raises(PatternError, match="Repeats too much"):
        compile_pattern(pattern)
    assert time.perf_counter() - started < 0.5


# The heaviest of their kind that are still accepted: each compiles in milliseconds.
AT_THE_LIMIT = [
    r"(?:a{140}){140}",
    r"a{19990}",
    r"(?:(?:\w{20}){20}){24}",
    r"(?i)(?:[a-z]{140}){140}",
    r"(?fi)[\x00-\U0010ffff]{150}",
    r"(?:(?:a{5}){5}){5}" * 40,
    r"\X{2400}",
]


@pytest.mark.parametrize("pattern", AT_THE_LIMIT)
def test_the_heaviest_accepted_patterns_compile_quickly(pattern):
    started = time.perf_counter()
    compile_pattern(pattern)
    assert time.perf_counter() - started < 2.0


def test_the_limit_sits_between_two_neighbours():
    compile_pattern("(?:a{100}){90}")
    with pytest.raises(PatternError, match=f"{MAX_PATTERN_WEIGHT:,}"):
        compile_pattern("(?:a{100}){200}")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(", "Invalid pattern: missing ) at position 1"),
        ("a{5,3}", "min repeat greater than max repeat"),
        ("a{4294967296}", "repeat count too big"),
        (r"\L<names>", "undefined named list"),
        ("(?au)a", "ASCII, LOCALE and UNICODE flags are mutually incompatible"),
        ("(?V0V1)a", "VERSION0 and VERSION1 flags are mutually incompatible"),
        (r"(a)\2", "invalid group reference"),
        ("(" * 490 + ")" * 490, "Nested too deeply"),
        ("a" * (MAX_PATTERN_LENGTH + 1), f"Longer than {MAX_PATTERN_LENGTH} characters"),
    ],
)
def test_unusable_patterns_say_why(pattern, message):
    with pytest.raises(PatternError, match=re.escape(message)):
        compile_pattern(pattern)
