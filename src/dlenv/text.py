"""Which characters may reach one line of output, and how a message shows those that may not.

Python's str.splitlines() — and YAML, TOML and pip's requirement parser — break lines at more than \\n: at \\r, \\v,
\\f, \\x1c-\\x1e, U+0085, U+2028 and U+2029. Format characters (U+200B-U+200F, U+202A-U+202E, U+2066-U+2069, U+FEFF)
reorder or hide text. A line dlenv writes, and a string read from a host file, holds none of them: none of the
Unicode categories Cc (controls), Cf (format), Zl, Zp (line and paragraph separators), Cs (surrogates) or Co
(private use).
"""

from __future__ import annotations

import unicodedata

UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})


def first_unsafe_character(text: str) -> str | None:
    """The first character of `text` that may break or disguise a line, or None."""
    if text.isascii():  # the common case, without a lookup per character
        return next((char for char in text if char < " " or char == "\x7f"), None)
    return next((char for char in text if unicodedata.category(char) in UNSAFE_CATEGORIES), None)


def describe_character(char: str) -> str:
    """'U+2028 (LINE SEPARATOR)'."""
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')})"


def printable(text: str) -> str:
    """`text` with every unsafe character escaped, for a one-line message on a terminal."""
    if first_unsafe_character(text) is None:
        return text
    return "".join(
        char.encode("unicode_escape").decode("ascii") if unicodedata.category(char) in UNSAFE_CATEGORIES else char
        for char in text
    )
