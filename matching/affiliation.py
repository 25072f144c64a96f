"""Who counts as a co-worker: affiliation normalisation.

Two attendees are co-workers when their normalised affiliation is equal. The normalisation folds
case, accents and punctuation, drops legal suffixes (Inc, GmbH, Ltd, ...), and falls back to the
e-mail domain when no affiliation is given, ignoring free-mail providers.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["FREE_MAIL_DOMAINS", "LEGAL_SUFFIXES", "affiliation_key"]

LEGAL_SUFFIXES: frozenset[str] = frozenset(
    {
        "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "llp", "lp", "ltd",
        "limited", "plc", "gmbh", "mbh", "ag", "kg", "ug", "se", "sa", "sas", "sarl", "srl", "spa",
        "bv", "nv", "oy", "ab", "as", "aps", "kk", "pty", "pvt", "sl", "sro", "ohg", "eg", "ev",
        "group", "holding", "holdings", "lda", "spzoo", "bhd", "sdn", "oyj", "asa", "doo",
    }
)  # fmt: skip

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.de", "yahoo.fr",
        "hotmail.com", "hotmail.co.uk", "hotmail.de", "hotmail.fr", "outlook.com", "live.com",
        "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com",
        "pm.me", "gmx.de", "gmx.net", "gmx.com", "web.de", "t-online.de", "posteo.de",
        "mailbox.org", "fastmail.com", "fastmail.fm", "zoho.com", "yandex.ru", "yandex.com",
        "mail.ru", "qq.com", "163.com", "126.com", "free.fr", "orange.fr", "laposte.net",
        "libero.it", "virgilio.it", "seznam.cz", "wp.pl", "o2.pl", "hey.com", "tutanota.com",
        "duck.com", "users.noreply.github.com",
    }
)  # fmt: skip

# Answers that name no employer: two freelancers are not co-workers.
_NO_EMPLOYER = frozenset(
    {
        "none", "na", "n a", "no", "nil", "null", "self", "self employed", "freelance",
        "freelancer", "independent", "private", "retired", "student", "unemployed", "personal",
    }
)  # fmt: skip
_NON_WORD = re.compile(r"[^\w]+")
_DOTTED = re.compile(r"\b(?:[^\W\d_]\.)+[^\W\d_]\b\.?")
_SPLIT_FORMS = re.compile(r"\bsp\.?\s*z\.?\s*o\.?\s*o\b\.?|\ba/s\b")
_DROP_MARKS = str.maketrans("", "", ". /")
# Words that join two legal forms ("GmbH & Co. KG").
_CONNECTORS = frozenset({"and", "und", "et", "y", "e"})
# Second-level labels under which the organisation name sits one label further left.
_SECOND_LEVEL = frozenset({"co", "com", "ac", "org", "net", "gov", "edu"})


def _fold(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Multi-part legal forms first, so their pieces do not read as a name ("Sp. z o.o.", "A/S").
    ascii_only = _SPLIT_FORMS.sub(
        lambda m: " " + m.group(0).translate(_DROP_MARKS) + " ", ascii_only
    )
    # Dotted abbreviations ("G.m.b.H.", "s.r.l", "S.A.") become one token.
    ascii_only = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), ascii_only)
    ascii_only = ascii_only.replace("&", " and ")
    return [t for t in _NON_WORD.split(ascii_only) if t]


def _domain_key(email: str) -> str | None:
    if "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().casefold().rstrip(".")
    if not domain or domain in FREE_MAIL_DOMAINS:
        return None
    labels = domain.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        name = labels[-3]
    elif len(labels) >= 2:
        name = labels[-2]
    else:
        name = labels[0]
    return name


def affiliation_key(affiliation: str, email: str = "") -> str | None:
    """Return the key under which two attendees count as co-workers, or None if unknown.

    Args:
        affiliation: The company as typed by the attendee or the registration system.
        email: Used when ``affiliation`` is empty; free-mail domains give no key.

    Returns:
        A normalised key, or None when nothing identifies an employer.

    Example:
        >>> affiliation_key("ACME, Inc.") == affiliation_key("acme")
        True
        >>> affiliation_key("Polar Data GmbH & Co. KG") == affiliation_key("", "ann@polardata.io")
        True
        >>> affiliation_key("", "bob@mail.acme.co.uk")
        'acme'
        >>> affiliation_key("", "bob@gmail.com") is None
        True
    """
    tokens = _fold(affiliation or "")
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
        if len(tokens) > 2 and tokens[-1] in _CONNECTORS and tokens[-2] in LEGAL_SUFFIXES:
            tokens.pop()
    if tokens and " ".join(tokens) not in _NO_EMPLOYER:
        # Without spaces, "Polar Data" and the domain polardata.io give the same key.
        return "".join(tokens)
    return _domain_key(email or "")
