"""Text from backends and users made safe for the reports: valid UTF-8, no control bytes that
a terminal, a Markdown renderer or a browser would act on, a size cap, Markdown escaping.

Every renderer goes through :func:`display` (terminal, Markdown, HTML) or :func:`for_json`
(the JSON report, which keeps a message whole up to :data:`JSON_LIMIT` characters).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["DISPLAY_LIMIT", "JSON_LIMIT", "clean", "display", "first_line", "for_json",
           "md_block", "md_code", "md_text", "printable", "valid_utf8"]

#: Characters of a message shown in the terminal, Markdown and HTML reports.
DISPLAY_LIMIT = 4000
#: Characters of a message kept in ``conformance.json`` (the full text, unless huge).
JSON_LIMIT = 1_000_000

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
# isolates (text that reads differently from what it is).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|&])")


def printable(value: Any) -> str:
    """``str(value)``, or ``repr(value)`` when that raises, or a description when both do:
    an exception from a backend never stops its own report.
    """
    for render in (str, repr):
        try:
            return render(value)
        except Exception:
            continue
    return f"<a {type(value).__name__} whose str() and repr() raise>"


def valid_utf8(text: str) -> str:
    r"""``text`` with every lone surrogate (a byte of a non-UTF-8 file name decoded with
    ``surrogateescape``, say) written as its escape, e.g. ``\udcff``: encodable as UTF-8.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(text: str) -> str:
    r"""``text`` valid as UTF-8, with control characters other than newline and tab written
    as escapes (ESC as ``\x1b``, NUL as ``\x00``, carriage return as ``\x0d``).
    """
    return _CONTROL.sub(_escape, valid_utf8(text))


def _more(extra: int, limit: int, total: int) -> str:
    where = ("full text in conformance.json" if total <= JSON_LIMIT
             else f"the first {JSON_LIMIT} in conformance.json")
    return f"… ({extra} more characters; {where})"


def display(text: str, limit: int = DISPLAY_LIMIT) -> str:
    """``text`` for the terminal, Markdown and HTML: :func:`clean`, and cut after ``limit``
    characters with a note saying how many more there are and where.
    """
    if len(text) <= limit:
        return clean(text)
    return clean(text[:limit]) + _more(len(text) - limit, limit, len(text))


def first_line(text: str, limit: int = 160) -> str:
    """The first line of ``text`` for a one-line summary, cleaned and cut at ``limit``."""
    line = text.split("\n", 1)[0]
    if len(line) <= limit:
        return clean(line)
    return clean(line[:limit]) + "…"


def for_json(text: str) -> str:
    """``text`` for the JSON report: valid UTF-8, whole unless it is longer than
    :data:`JSON_LIMIT` characters (then cut, with a note). JSON escapes control characters
    itself.
    """
    if len(text) <= JSON_LIMIT:
        return valid_utf8(text)
    return (valid_utf8(text[:JSON_LIMIT])
            + f"… ({len(text) - JSON_LIMIT} more characters not kept)")


def md_text(text: str, limit: int = DISPLAY_LIMIT) -> str:
    """``text`` as literal Markdown on one line (a table cell, a heading, a list item):
    :func:`display`, newlines as spaces, and the characters Markdown or HTML would act on
    (pipes, backticks, emphasis, links, ``<``, ``&``) backslash-escaped.
    """
    return _MARKDOWN.sub(r"\\\1", display(text, limit).replace("\n", " ").replace("\t", " "))


def md_code(text: str, in_table: bool = False) -> str:
    """``text`` as a Markdown code span (a fence longer than any run of backticks in it);
    in a table cell, pipes escaped too (GFM splits cells before reading code spans).
    """
    body = display(text).replace("\n", " ")
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`"):
        body = f" {body} "
    if in_table:
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


def md_block(text: str) -> list[str]:
    """``text`` (after :func:`display`) as the lines of a fenced Markdown code block, its
    fence longer than any run of backticks in it so that nothing in it can close the block.
    """
    body = display(text)
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *body.split("\n"), fence]
