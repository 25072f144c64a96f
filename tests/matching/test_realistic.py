"""Realistic profiles: deterministic, mixed in length, style and language, with typos and blanks."""

from __future__ import annotations

import dataclasses
import re

import pytest

from matching.datasets import TOPICS, make_conference, profile_topics
from matching.embeddings import is_blank_profile
from matching.realistic import (
    _FIELDS,
    MAX_LENGTH,
    PLACEHOLDERS,
    make_profiles,
    make_realistic_conference,
)

N = 3000
# A few words each language's templates use and English texts never do.
LANGUAGE_MARKERS = {
    "German": re.compile(r"\b(und|ich|Vortrag|arbeitet|Gerne)\b"),
    "French": re.compile(r"\b(je|nous|chez|pour|avec)\b"),
    "Spanish": re.compile(
        r"\b(charla|Trabajo|desarrollador|Hablemos|historia|Ingeniera|encanta)\b"
    ),
    "Italian": re.compile(r"\b(Lavoro|presso|produzione|Appassionato)\b"),
}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", text.casefold()))


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return make_profiles(N, random_state=0)


def test_same_seed_same_texts_other_seed_other_texts(texts: list[str]) -> None:
    assert make_profiles(N, random_state=0) == texts
    assert make_profiles(N, random_state=1) != texts


def test_lengths_run_from_a_few_words_to_the_start_of_an_abstract(texts: list[str]) -> None:
    written = [t for t in texts if not is_blank_profile(t)]
    lengths = [len(t) for t in written]
    assert max(lengths) <= MAX_LENGTH
    few_words = sum(len(t.split()) <= 3 for t in written)
    abstracts = sum(len(t) >= 150 for t in written)
    assert few_words >= 0.05 * len(written)
    assert abstracts >= 0.3 * len(written)
    assert len(set(written)) >= 0.9 * len(written)


def test_talk_abstracts_bios_and_keyword_lists_are_all_there(texts: list[str]) -> None:
    talks = sum(
        bool(re.search(r"\b(this talk|this tutorial|this session|we'll|you'll)\b", t, re.I))
        for t in texts
    )
    third_person_bios = sum(
        bool(re.match(r"^[A-Z]\w+ (is|works|has|helps|teaches)\b", t)) for t in texts
    )
    keyword_lists = sum(
        bool(re.fullmatch(r"[\w .'/&+-]+([,;/+·] ?[\w .'/&-]+)+", t)) for t in texts
    )
    assert talks >= 0.2 * N
    assert third_person_bios >= 0.05 * N
    assert keyword_lists >= 0.03 * N


def test_several_languages(texts: list[str]) -> None:
    for language, marker in LANGUAGE_MARKERS.items():
        assert sum(bool(marker.search(t)) for t in texts) >= 10, language
    assert sum(bool(m.search(t)) for t in texts for m in LANGUAGE_MARKERS.values()) <= 0.2 * N


def test_blank_and_placeholder_profiles(texts: list[str]) -> None:
    blank = [t for t in texts if t == ""]
    placeholders = [t for t in texts if t in PLACEHOLDERS]
    assert blank and len(set(placeholders)) >= 5
    assert 0.03 * N <= len(blank) + len(placeholders) <= 0.08 * N
    none = make_profiles(500, random_state=0, blank_fraction=0.0)
    assert "" not in none and not set(none) & set(PLACEHOLDERS)


def test_typos_are_words_no_template_or_vocabulary_writes() -> None:
    clean = make_profiles(6000, random_state=3, typo_fraction=0.0)
    vocabulary = set().union(*map(_words, clean))
    typed = make_profiles(N, random_state=4)
    misspelt = [t for t in typed if _words(t) - vocabulary]
    assert 0.05 * N <= len(misspelt) <= 0.2 * N
    tidy = make_profiles(N, random_state=4, typo_fraction=0.0)
    assert sum(bool(_words(t) - vocabulary) for t in tidy) <= 0.01 * N


def test_every_topic_of_the_taxonomy_has_a_vocabulary() -> None:
    assert set(_FIELDS) == set(TOPICS)
    for field in _FIELDS.values():
        assert len(field.terms) >= 8 and field.things and field.problems and field.roles


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_attendees": 0}, "'n_attendees' parameter must be an int >= 1"),
        ({"n_attendees": 5, "blank_fraction": 1.5}, "'blank_fraction' parameter"),
        ({"n_attendees": 5, "foreign_fraction": -0.1}, "'foreign_fraction' parameter"),
        ({"n_attendees": 5, "typo_fraction": True}, "'typo_fraction' parameter"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_profiles(**kwargs)  # type: ignore[arg-type]


def test_realistic_conference_keeps_everything_but_the_profiles() -> None:
    realistic = make_realistic_conference(1500, random_state=5)
    generated = make_conference(1500, random_state=5)
    assert realistic == make_realistic_conference(1500, random_state=5)
    for new, old in zip(realistic, generated, strict=True):
        assert dataclasses.replace(new, interests="") == dataclasses.replace(old, interests="")
        assert len(new.interests) <= MAX_LENGTH
        if not old.interests:
            assert new.interests == "" or new.interests in PLACEHOLDERS
    written = [(n, o) for n, o in zip(realistic, generated, strict=True) if o.interests]
    # Each person writes about the topics of their generated profile.
    shared = sum(
        bool(set(profile_topics(n.interests)) & set(profile_topics(o.interests)))
        for n, o in written
    )
    assert shared >= 0.6 * len(written)
    changed = sum(n.interests != o.interests for n, o in written)
    assert changed == len(written)


def test_realistic_conference_people_without_english_write_in_their_own_language() -> None:
    people = make_realistic_conference(3000, random_state=6)
    markers = {lang: LANGUAGE_MARKERS[lang] for lang in ("German", "French", "Spanish")}
    for language, marker in markers.items():
        own = [
            p.interests
            for p in people
            if p.languages and p.languages[0] == language and "English" not in p.languages
            if p.interests and p.interests not in PLACEHOLDERS
        ]
        assert own, language
        assert sum(bool(marker.search(t)) for t in own) >= 0.6 * len(own), language
