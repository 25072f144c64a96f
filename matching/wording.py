"""The sentences attendees read about their tables: why lines, written, taken apart, restated.

Pure Python and cheap to import: the web pages restate stored lines on every request, while
the words themselves are chosen by :mod:`matching.explain`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from matching.placeholders import is_placeholder_name

__all__ = [
    "MATE_GONE",
    "NO_PROFILE",
    "TOKEN",
    "WhyLine",
    "join_words",
    "parse_why",
    "restate",
    "topics_used",
    "why",
]

NO_PROFILE = "No profile yet — add one on your page so we can introduce you."
#: Said instead of a why line about a tablemate who was erased or will not come.
MATE_GONE = "Your closest match at this table is no longer coming."
#: One word of a profile; keeps "c++", "c#", "node.js" and "machine-learning" whole.
TOKEN = re.compile(r"(?u)\b\w[\w+#]*(?:[.\-]\w[\w+#]*)*")
_SHARED_START, _SHARED_MID = "You and ", " both talk about "
_CLOSEST_START = "Your closest match here is "
# The same lines about a tablemate whose name is blank or a placeholder.
_ANON_SHARED = "Someone at your table also talks about "
_ANON_CLOSEST = "Your closest match at this table talks about "
_ANON_CLOSEST_ONLY = "Your closest match is at this table."


def join_words(words: Sequence[str]) -> str:
    """Join words as prose.

    Example:
        >>> join_words(["testing", "packaging", "django"])
        'testing, packaging and django'
    """
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def why(
    *,
    has_profile: bool,
    mate: str | None,
    shared: Sequence[str] = (),
    mate_topics: Sequence[str] = (),
) -> str:
    """Return an attendee's one-line reason for their table.

    Someone without a profile is invited to write one (nothing can be said about them yet),
    and a tablemate whose name is blank or a placeholder ("Info Requested", "TBD", "N/A") is
    "someone at your table", never quoted as a person.

    Args:
        has_profile: Whether the attendee wrote a profile.
        mate: Display name of their closest tablemate; None when they sit alone.
        shared: Topic words both profiles use, best first.
        mate_topics: The closest tablemate's own topics, said when nothing is shared.

    Returns:
        One sentence addressed to the attendee.

    Example:
        >>> why(has_profile=True, mate="Ada Lovelace", shared=["testing", "packaging"])
        'You and Ada Lovelace both talk about testing and packaging.'
        >>> why(has_profile=True, mate="Ada", mate_topics=["data engineering"])
        'Your closest match here is Ada (data engineering).'
        >>> why(has_profile=True, mate="Info Requested", shared=["Rust"])
        'Someone at your table also talks about Rust.'
        >>> why(has_profile=False, mate="Ada Lovelace")
        'No profile yet — add one on your page so we can introduce you.'
    """
    if not has_profile:
        return NO_PROFILE
    if mate is None:
        return "You have this table to yourself this time."
    named = not is_placeholder_name(mate)
    if shared:
        words = join_words(list(shared))
        return f"You and {mate} both talk about {words}." if named else _ANON_SHARED + words + "."
    if mate_topics:
        words = join_words(list(mate_topics))
        return f"{_CLOSEST_START}{mate} ({words})." if named else _ANON_CLOSEST + words + "."
    return f"{_CLOSEST_START}{mate}." if named else _ANON_CLOSEST_ONLY


@dataclass(frozen=True)
class WhyLine:
    """A why line about a tablemate, taken apart: which form, the name and the words it quotes.

    Attributes:
        kind: ``"shared"`` ("You and Ada both talk about …") or ``"closest"`` ("Your closest
            match here is Ada (…)." or, without words, "Your closest match here is Ada.").
        mate: The tablemate's name as the line was written; empty when the line names nobody
            ("Someone at your table also talks about …").
        words: The quoted words, best first.
    """

    kind: Literal["shared", "closest"]
    mate: str
    words: tuple[str, ...]


def _split_words(text: str) -> tuple[str, ...]:
    # Inverse of join_words: a topic word holds no comma and never the stop word "and".
    head, sep, last = text.rpartition(" and ")
    if not sep:
        return (text,) if text else ()
    return (*head.split(", "), last)


def parse_why(line: str) -> WhyLine | None:
    """Take apart a line :func:`why` wrote about a tablemate; None for any other line.

    Topic words never hold " (", ", ", " and " or " both talk about ", so the split is exact
    whatever the name holds.

    Example:
        >>> parse_why("You and Ada Lovelace both talk about testing and packaging.")
        WhyLine(kind='shared', mate='Ada Lovelace', words=('testing', 'packaging'))
        >>> parse_why("Your closest match here is Ada (data engineering).")
        WhyLine(kind='closest', mate='Ada', words=('data engineering',))
        >>> parse_why(NO_PROFILE) is None
        True
    """
    if not line.endswith("."):
        return None
    if line == _ANON_CLOSEST_ONLY:
        return WhyLine("closest", "", ())
    body = line[:-1]
    if body.startswith(_ANON_SHARED) and len(body) > len(_ANON_SHARED):
        return WhyLine("shared", "", _split_words(body[len(_ANON_SHARED) :]))
    if body.startswith(_ANON_CLOSEST) and len(body) > len(_ANON_CLOSEST):
        return WhyLine("closest", "", _split_words(body[len(_ANON_CLOSEST) :]))
    if body.startswith(_SHARED_START) and _SHARED_MID in body:
        mate, _, words = body[len(_SHARED_START) :].rpartition(_SHARED_MID)
        if mate and words:
            return WhyLine("shared", mate, _split_words(words))
    if body.startswith(_CLOSEST_START):
        rest = body[len(_CLOSEST_START) :]
        if rest.endswith(")") and " (" in rest:
            mate, _, words = rest[:-1].rpartition(" (")
            if mate and words:
                return WhyLine("closest", mate, _split_words(words))
        if rest:
            return WhyLine("closest", rest, ())
    return None


def restate(line: WhyLine, *, mate: str, quote: bool = True) -> str:
    """Write a parsed why line again with the tablemate's ``mate`` name of today.

    Args:
        line: The parsed line.
        mate: The name to say.
        quote: False when the tablemate keeps their profile to themselves: the line then
            says only that there is common ground, not which words.

    Example:
        >>> shared = parse_why("You and Ruth both talk about packaging.")
        >>> restate(shared, mate="Ruth Ng", quote=False)
        'You and Ruth Ng have interests in common.'
    """
    words = list(line.words) if quote else []
    if line.kind == "shared":
        if words:
            return why(has_profile=True, mate=mate, shared=words)
        if is_placeholder_name(mate):
            return "Someone at your table has interests in common with you."
        return f"You and {mate} have interests in common."
    return why(has_profile=True, mate=mate, mate_topics=words)


def topics_used(topics: Sequence[str], texts: Sequence[str]) -> list[str]:
    """Return the topics whose every word one of ``texts`` uses, in their order.

    Table topics are drawn from the members' profiles; this keeps those a given set of
    profiles could have given (after someone's profile is erased or hidden).

    Example:
        >>> topics_used(["graph databases", "Rust", "chess"], ["rust", "graph and databases"])
        ['graph databases', 'Rust']
    """
    vocabulary = [{token.casefold() for token in TOKEN.findall(text or "")} for text in texts]
    return [
        topic
        for topic in topics
        if any(all(word.casefold() in words for word in topic.split()) for words in vocabulary)
    ]
