"""Common-ground words on handcrafted profiles."""

from __future__ import annotations

import pytest

from matching.explain import NO_PROFILE, CommonGround, join_words, why


def test_shared_topics_name_the_words_both_profiles_use() -> None:
    ground = CommonGround().fit(
        ["pytest fixtures and packaging wheels", "packaging with wheels and pytest", "gardening"]
    )
    shared = ground.shared_topics([0, 0], [1, 2])
    assert {"packaging", "pytest"} <= set(shared[0])
    assert shared[1] == []


def test_bigrams_do_not_span_stop_words_or_punctuation() -> None:
    ground = CommonGround().fit(["Rust and gardening, chess", "rust gardening"])
    terms = set(ground.terms_.tolist())
    assert "rust gardening" in terms  # written as a phrase by the second attendee
    assert "gardening chess" not in terms
    ground = CommonGround().fit(["rust and gardening"])
    assert "rust gardening" not in set(ground.terms_.tolist())


def test_multilingual_stop_words_and_filler_are_dropped() -> None:
    ground = CommonGround().fit(
        [
            "Ich interessiere mich für Rust und Python",
            "J'aime le Rust et les données",
            "I love Rust",
        ]
    )
    terms = set(ground.terms_.tolist())
    assert "rust" in terms
    assert not {"und", "für", "le", "et", "les", "love", "i"} & terms


def test_table_topics_put_shared_terms_first() -> None:
    ground = CommonGround().fit(
        [
            "django testing with pytest",
            "testing and django orm",
            "kubernetes operators",
            "django migrations",
            "compilers",
        ]
    )
    topics = ground.table_topics([[0, 1, 2], [3, 4]], top=2)
    assert sorted(topics[0]) == ["django", "testing"]
    assert len(topics[1]) == 2  # nothing shared: the members' own words still name the table
    assert set(topics[1]) <= {"django", "django migrations", "migrations", "compilers"}


def test_table_topics_keep_one_of_a_bigram_and_its_words() -> None:
    ground = CommonGround().fit(["machine learning", "machine learning", "machine learning ops"])
    (topics,) = ground.table_topics([[0, 1, 2]], top=3)
    words = [w for term in topics for w in term.split()]
    assert len(words) == len(set(words))


def test_only_topics_are_words_nobody_else_at_the_table_uses() -> None:
    ground = CommonGround().fit(["rust, gardening", "gardening tips", "chess"])
    assert ground.only_topics([0, 1, 2], [[0, 1], [2]], [0, 0, 1]) == [
        ["rust"],
        ["tips"],
        ["chess"],
    ]


def test_profiles_with_nothing_to_name() -> None:
    ground = CommonGround().fit(["", "and the of", "   "])
    assert ground.terms_.size == 0
    assert ground.table_topics([[0, 1, 2]]) == [[]]
    assert ground.shared_topics([0], [1]) == [[]]
    assert [ground.has_profile(i) for i in range(3)] == [False, True, False]


def test_why_sentences() -> None:
    assert (
        why(has_profile=True, mate="Ada Lovelace", shared=["testing", "packaging"])
        == "You and Ada Lovelace both talk about testing and packaging."
    )
    assert why(has_profile=False, mate="Ada Lovelace", shared=["testing"]) == NO_PROFILE
    only = why(has_profile=True, mate="Ada", only=["rust"])
    assert only.startswith("You are the only one here who talks about rust")
    assert "Ada" in only
    assert "Ada" in why(has_profile=True, mate="Ada")
    assert "yourself" in why(has_profile=True, mate=None)


@pytest.mark.parametrize(
    ("words", "text"),
    [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")],
)
def test_join_words(words: list[str], text: str) -> None:
    assert join_words(words) == text


def test_invalid_parameters_are_named() -> None:
    with pytest.raises(ValueError, match=r"'min_df' parameter must be an int >= 1\. Got 0"):
        CommonGround(min_df=0).fit(["a"])
    with pytest.raises(ValueError, match="'max_df' parameter"):
        CommonGround(max_df=0.0).fit(["a"])
