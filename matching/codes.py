"""Group codes: which attendees share a company, a party, a home town or a language.

One definition for the search and the checks: attendees with equal keys get equal codes
(numbered by first appearance), -1 where the attribute is not given.

* **Company**: :func:`matching.affiliation.affiliation_key` of the affiliation, else of the
  e-mail domain.
* **Party**: the label with surrounding blanks stripped, so ``"team"`` and ``"team "`` are one
  party; an empty label is no party.
* **Home town** and **language**: case and runs of blanks folded (``"New  York"`` is
  ``"new york"``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from matching.affiliation import affiliation_key
from matching.types import Attendee

__all__ = [
    "codes",
    "company_codes",
    "company_key",
    "fold",
    "hometown_codes",
    "language_masks",
    "languages_of",
    "party_codes",
    "party_label",
]


def fold(text: str) -> str:
    """Case and blanks folded: ``fold(" New  York ") == "new york"``."""
    return " ".join(text.casefold().split())


def codes(keys: Sequence[str | None]) -> np.ndarray:
    """Equal keys get equal codes, numbered by first appearance; None and "" get -1.

    Example:
        >>> codes(["b", None, "a", "b"]).tolist()
        [0, -1, 1, 0]
    """
    table: dict[str, int] = {}
    out = np.full(len(keys), -1, dtype=np.int64)
    for i, key in enumerate(keys):
        if key:
            out[i] = table.setdefault(key, len(table))
    return out


@functools.lru_cache(maxsize=65536)
def _affiliation_key(affiliation: str) -> str | None:
    return affiliation_key(affiliation)


def company_key(attendee: Attendee) -> str | None:
    """The attendee's employer key, or None for none (a freelancer, a free-mail address)."""
    # Thousands of attendees share an affiliation; the e-mail only matters when it names none.
    return _affiliation_key(attendee.affiliation) or affiliation_key("", attendee.email)


def party_label(attendee: Attendee) -> str | None:
    """The attendee's party label, stripped; None for no party.

    Example:
        >>> party_label(Attendee(id="a", party=" team ")), party_label(Attendee(id="b", party=" "))
        ('team', None)
    """
    return (attendee.party or "").strip() or None


def company_codes(attendees: Sequence[Attendee]) -> np.ndarray:
    """Per attendee: their company's code, -1 for none."""
    return codes([company_key(a) for a in attendees])


def party_codes(attendees: Sequence[Attendee]) -> np.ndarray:
    """Per attendee: their party's code, -1 for none.

    Example:
        >>> party_codes([Attendee(id="a", party="team"), Attendee(id="b", party="team ")])
        array([0, 0])
    """
    return codes([party_label(a) for a in attendees])


def hometown_codes(attendees: Sequence[Attendee]) -> np.ndarray:
    """Per attendee: their home town's code, -1 for none given."""
    return codes([fold(a.hometown) or None for a in attendees])


def languages_of(attendee: Attendee) -> set[str]:
    """The attendee's languages, folded; empty when none are given."""
    return {fold(lang) for lang in attendee.languages if lang.strip()}


def language_masks(attendees: Sequence[Attendee]) -> np.ndarray:
    """Per attendee: a bit mask of their languages, for the search kernels.

    The 64 most common languages get a bit each; rarer ones share bits, which at worst hides a
    rare mismatch.
    """
    counts: dict[str, int] = {}
    folded = [languages_of(a) for a in attendees]
    for langs in folded:
        for lang in langs:
            counts[lang] = counts.get(lang, 0) + 1
    ranked = sorted(counts, key=lambda s: (-counts[s], s))
    bit = {lang: i % 64 for i, lang in enumerate(ranked)}
    out = np.zeros(len(attendees), dtype=np.uint64)
    for i, langs in enumerate(folded):
        mask = 0
        for lang in langs:
            mask |= 1 << bit[lang]
        out[i] = mask
    return out


def round_parties(
    party: np.ndarray, *, dinner: bool, seated: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The parties of one round: who counts as a party member, and whose pairs count.

    A party in a round is a label held by at least two of the round's seated attendees; at
    dinner a party of exactly two may sit together, so its pairs are not counted.

    Args:
        party: Party codes (-1 for none), one per attendee.
        dinner: Whether the round is a dinner.
        seated: Indices into ``party`` of the round's seated attendees; all when None.

    Returns:
        ``(party, counted)``: the codes with -1 for labels fewer than two seated attendees hold,
        and the same with -1 also for dinner parties of exactly two.

    Example:
        >>> party, counted = round_parties(np.array([0, 0, 1, 2, 2, 2]), dinner=True)
        >>> party.tolist(), counted.tolist()
        ([0, 0, -1, 2, 2, 2], [-1, -1, -1, 2, 2, 2])
    """
    held = party if seated is None else party[seated]
    width = max(int(party.max(initial=-1)) + 1, 1)
    count = np.bincount(held[held >= 0], minlength=width)
    size_of = np.where(party >= 0, count[np.maximum(party, 0)], 0)
    in_party = np.where(size_of >= 2, party, -1)
    counted = np.where(size_of == 2, -1, in_party) if dinner else in_party
    return in_party, counted
