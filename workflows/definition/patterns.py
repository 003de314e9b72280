"""Users' regular expressions, weighed before they are compiled.

`regex` builds a node for every repetition of a counted repeat when it compiles, so a short
pattern such as `(?:(?:a{1000}){1000}){1000}` asks for a billion nodes: it takes all the
process's memory before any time limit on matching applies. So a pattern is first parsed by
`regex`'s own parser, which expands nothing, and refused when its compiled form would hold more
than MAX_PATTERN_WEIGHT nodes; only then is it compiled.
"""

from functools import lru_cache

import regex
from regex import _regex_core  # the parser regex.compile runs first; the version is pinned

MAX_PATTERN_LENGTH = 1000
MAX_PATTERN_WEIGHT = 20_000  # about 20 ms to compile here; `^\d{5}(-\d{4})?$` weighs 18


class PatternError(ValueError):
    """Why a pattern cannot be used."""


def _parse(pattern):
    """Parse `pattern` as `regex.compile` does first, global flags found late included."""
    global_flags = 0
    while True:
        source = _regex_core.Source(pattern)
        info = _regex_core.Info(global_flags, source.char_type, {})
        info.guess_encoding = _regex_core.UNICODE
        source.ignore_space = bool(info.flags & _regex_core.VERBOSE)
        try:
            return _regex_core._parse_pattern(source, info)
        except _regex_core._UnscopedFlagSet:
            global_flags = info.global_flags


def _children(node):
    for value in vars(node).values():
        if isinstance(value, _regex_core.RegexBase):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (item for item in value if isinstance(item, _regex_core.RegexBase))


def pattern_weight(pattern, *, limit=MAX_PATTERN_WEIGHT):
    """The nodes compiling `pattern` would build, counted up to just past `limit`.

    Each node counts once for every time the repeats around it are unrolled.
    """
    total, stack = 0, [(_parse(pattern), 1)]
    while stack and total <= limit:
        node, times = stack.pop()
        total += times
        if isinstance(node, _regex_core.GreedyRepeat):  # lazy and possessive repeats too
            times *= max(node.min_count, node.max_count or 0, 1)
        stack.extend((child, times) for child in _children(node))
    return total


@lru_cache(maxsize=512)
def compile_pattern(pattern):
    """Return the compiled pattern, or raise PatternError saying what is wrong with it."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"Longer than {MAX_PATTERN_LENGTH} characters.")
    try:
        if pattern_weight(pattern) > MAX_PATTERN_WEIGHT:
            raise PatternError(
                f"Repeats too much: compiled, it would pass {MAX_PATTERN_WEIGHT:,} nodes (counted repeats multiply)."
            )
        return regex.compile(pattern)
    except regex.error as exc:
        raise PatternError(f"Invalid pattern: {exc}.") from None
    except RecursionError:
        raise PatternError("Nested too deeply.") from None
