"""Users' regular expressions, weighed before they are compiled.

`regex` builds a node for every repetition of a counted repeat when it compiles, so a short
pattern such as `(?:(?:a{1000}){1000}){1000}` asks for a billion nodes: it takes all the
process's memory before any time limit on matching applies. So a pattern is first parsed and
optimised by `regex`'s own code, which expands nothing, and refused when its compiled form would
hold more than MAX_PATTERN_WEIGHT nodes; only then is it compiled.
"""

from functools import lru_cache

import regex
from regex import _regex_core  # what regex.compile runs before compiling; the version is pinned

MAX_PATTERN_LENGTH = 1000
CACHED_PATTERN_WEIGHT = 2_000
MAX_PATTERN_WEIGHT = 20_000  # about 20 ms to compile here; `^\d{5}(-\d{4})?$` weighs 18
MAX_DEFINITION_PATTERN_WEIGHT = 100_000  # all of one definition's patterns, compiled when it is saved


# A grapheme cluster (\X) compiles to about eight times the time and memory of a character.
HEAVY_NODES = {_regex_core.Grapheme: 8}


class PatternError(ValueError):
    """Why a pattern cannot be used."""


def _optimised(pattern):
    """The tree `regex.compile` hands to its compiler: parsed, then optimised as it does.

    Weighing the parsed tree alone would miss what optimising adds: under full case folding a
    set becomes the set or any of its multi-character foldings.
    """
    core = _regex_core
    global_flags = 0
    while True:
        source = core.Source(pattern)
        info = core.Info(global_flags, source.char_type, {})
        info.guess_encoding = core.UNICODE
        source.ignore_space = bool(info.flags & core.VERBOSE)
        try:
            parsed = core._parse_pattern(source, info)
            break
        except core._UnscopedFlagSet:
            global_flags = info.global_flags
    if not source.at_end():
        raise regex.error("unbalanced parenthesis", pattern, source.pos)
    if not info.flags & core._ALL_ENCODINGS:
        info.flags |= core.UNICODE
    reverse = bool(info.flags & core.REVERSE)
    parsed.fix_groups(pattern, reverse, False)
    return parsed.optimise(info, reverse).pack_characters(info)


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
    total, stack = 0, [(_optimised(pattern), 1)]
    while stack and total <= limit:
        node, times = stack.pop()
        total += times * HEAVY_NODES.get(type(node), 1)
        if isinstance(node, _regex_core.GreedyRepeat):  # lazy and possessive repeats too
            times *= max(node.min_count, node.max_count or 0, 1)
        stack.extend((child, times) for child in _children(node))
    return total


@lru_cache(maxsize=1024)
def weigh(pattern):
    """pattern_weight, or PatternError when `pattern` does not parse."""
    try:
        return pattern_weight(pattern)
    except (regex.error, ValueError) as exc:  # ValueError: flags that exclude each other, (?au)
        raise PatternError(f"Invalid pattern: {exc}.") from None
    except RecursionError:
        raise PatternError("Nested too deeply.") from None


@lru_cache(maxsize=128)
def _compiled_light(pattern):
    return regex.compile(pattern, cache_pattern=False)


def compile_pattern(pattern):
    """Return the compiled pattern, or raise PatternError saying what is wrong with it.

    Only light patterns are kept for reuse (128 of them hold under 40 MB): `regex`'s own cache
    would keep 500 of any weight, and a template can make a new pattern for every run.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"Longer than {MAX_PATTERN_LENGTH} characters.")
    weight = weigh(pattern)
    if weight > MAX_PATTERN_WEIGHT:
        raise PatternError(
            f"Repeats too much: compiled, it would pass {MAX_PATTERN_WEIGHT:,} nodes (counted repeats multiply)."
        )
    try:
        if weight <= CACHED_PATTERN_WEIGHT:
            return _compiled_light(pattern)
        return regex.compile(pattern, cache_pattern=False)
    except (regex.error, ValueError) as exc:
        raise PatternError(f"Invalid pattern: {exc}.") from None
    except RecursionError:
        raise PatternError("Nested too deeply.") from None
