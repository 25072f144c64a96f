"""Text that stands where a person's name or profile should be: one definition for everyone.

Registration exports fill fields they did not collect with a placeholder (Eventbrite's "Info
Requested"), organizers type "TBD" or "N/A", testers leave "Test Test" behind. The importer
flags such rows (:func:`placeholder_kind`); the why lines never quote such a name as a person
(:func:`is_placeholder_name`), and a placeholder profile is no profile
(:func:`is_placeholder_profile`).

Pure Python and cheap to import.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "BLANK_ANSWERS",
    "INFO_REQUESTED",
    "is_placeholder_name",
    "is_placeholder_profile",
    "placeholder_kind",
]

#: Eventbrite's placeholder for every attendee field it did not collect (compare casefolded).
INFO_REQUESTED: Final = "info requested"
_EMAIL_IN_NAME = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A name made only of these words is a test entry, if at least one is from _JUNK_CORE.
_JUNK_WORD = re.compile(
    r"(?:test(?:ing|er|user)?|asdf\w*|qwert\w*|dummy|foo|bar|baz|x+|a+|tb[ad]|n/?a|none|null"
    r"|bla+h?|sample|example|user|attendee|person|name|vorname|nachname|\d+)\d*"
)
_JUNK_CORE = re.compile(
    r"(?:test(?:ing|er|user)?|asdf\w*|qwert\w*|dummy|x{2,}|a{3,}|tb[ad]|null|bla+h?)\d*"
)
_NAME_WORD = re.compile(r"[\w/]+")
_LETTER = re.compile(r"[^\W\d_]")

#: One-word answers people type into a mandatory "interests" box: the embedding gives such a
#: profile the neutral vector (matching.embeddings.is_blank_profile).
BLANK_ANSWERS: frozenset[str] = frozenset(
    {
        "n/a", "na", "n.a.", "none", "nothing", "no", "nope", "null", "nil", "tbd", "todo",
        "test", "testing 123", "asdf", "xxx", "x", "-", "--", "...", "?", "idk", "dunno",
        "keine", "rien", "nada", "-/-", "see above", "later",
    }
)  # fmt: skip
# Phrases that say "nothing yet" in words a model embeds like any other text (so they stay
# out of BLANK_ANSWERS), but that give nothing to talk about.
_PROFILE_PHRASES = BLANK_ANSWERS | {
    INFO_REQUESTED, "to be announced", "tba", "tbc", "to be confirmed", "coming soon",
    "abstract coming soon", "see website", "see below", "will fill in later", "fill in later",
    "no comment", "nothing yet", "not yet", "not sure", "unknown", "keine angabe", "k.a.",
}  # fmt: skip


def placeholder_kind(name: str) -> str | None:
    """Whether a name is no person's: Eventbrite's placeholder, an e-mail address, a test.

    Strict on purpose: the importer acts on it (skips rows, asks for details), so a name
    counts only with a sign of a test ("TBD", "Test", "asdf"), not for "Name" or "N/A" alone.

    Example:
        >>> [placeholder_kind(n) for n in ("Info Requested Info Requested", "a@b.org", "Test 2")]
        ['info_requested', 'email_as_name', 'test_entry']
    """
    folded = " ".join(name.casefold().split())
    if not folded:
        return None
    if INFO_REQUESTED in folded:
        return "info_requested"
    if _EMAIL_IN_NAME.search(folded):
        return "email_as_name"
    words = _NAME_WORD.findall(folded)
    if (
        words
        and all(_JUNK_WORD.fullmatch(word) for word in words)
        and any(_JUNK_CORE.fullmatch(word) for word in words)
    ):
        return "test_entry"
    return None


def is_placeholder_name(name: str | None) -> bool:
    """Whether a name must not be quoted as a person's: blank, a placeholder, an e-mail.

    Looser than :func:`placeholder_kind`: saying "someone at your table" instead of a name
    costs nothing, so "N/A", "Name" or "Attendee 12" count too.

    Example:
        >>> [is_placeholder_name(n) for n in ("", "Info Requested", "N/A", "TBD", "Ada Byron")]
        [True, True, True, True, False]
    """
    folded = " ".join((name or "").casefold().split())
    if not folded or placeholder_kind(folded) is not None:
        return True
    words = _NAME_WORD.findall(folded)
    return not words or all(_JUNK_WORD.fullmatch(word) for word in words)


def is_placeholder_profile(text: str | None) -> bool:
    """Whether a profile says nothing yet: blank, punctuation, or a placeholder phrase.

    Example:
        >>> [is_placeholder_profile(t) for t in ("", "Info requested", "TBA.", "Rust, wasm")]
        [True, True, True, False]
    """
    folded = " ".join((text or "").casefold().split())
    if len(_LETTER.findall(folded)) < 2:
        return True
    folded = folded.strip(" .!")
    return folded in _PROFILE_PHRASES or (INFO_REQUESTED in folded and len(folded) < 40)
