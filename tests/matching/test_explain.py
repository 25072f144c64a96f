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
    unigrams = {t for t in topics if " " not in t}
    assert not any(set(t.split()) & unigrams for t in topics if " " in t)
    assert topics[0] == "machine learning"


def test_own_topics_name_a_profile() -> None:
    ground = CommonGround().fit(["data engineering with Airflow, lately", "rust", ""])
    mine, nobody = ground.own_topics([0, 2])
    assert sorted(mine) == ["Airflow", "data engineering"]
    assert nobody == []


def test_only_topics_are_words_nobody_else_at_the_table_uses() -> None:
    ground = CommonGround().fit(["rust, gardening", "gardening tomatoes", "chess"])
    assert ground.only_topics([0, 1, 2], [[0, 1], [2]], [0, 0, 1]) == [
        ["rust"],
        ["tomatoes"],
        ["chess"],
    ]


def test_profiles_with_nothing_to_name() -> None:
    ground = CommonGround().fit(["", "and the of", "   "])
    assert ground.terms_.size == 0
    assert ground.table_topics([[0, 1, 2]]) == [[]]
    assert ground.shared_topics([0], [1]) == [[]]
    assert [ground.has_profile(i) for i in range(3)] == [False, True, False]


def test_a_bigram_people_share_beats_its_words() -> None:
    ground = CommonGround().fit(
        [
            "Machine learning and deep learning in production",
            "I do machine learning, deep learning too",
            "Open source maintainer",
            "Contributing to open source",
        ]
    )
    assert sorted(ground.shared_topics([0], [1])[0]) == ["deep learning", "machine learning"]
    assert ground.shared_topics([2], [3]) == [["open source"]]
    (topics,) = ground.table_topics([[0, 1]], top=2)
    assert sorted(topics) == ["deep learning", "machine learning"]


def test_a_word_more_people_use_beats_one_persons_bigram() -> None:
    ground = CommonGround().fit(["testing", "testing and pytest", "mutation testing"])
    (topics,) = ground.table_topics([[0, 1, 2]], top=1)
    assert topics == ["testing"]


def test_stop_words_and_generic_words_are_never_topics() -> None:
    generic = {
        "lately", "know", "trying", "convince", "adopt", "engineer", "developer", "student",
        "phd", "work", "love", "team", "production", "right", "time", "new", "people",
    }  # fmt: skip
    ground = CommonGround().fit(
        [
            "Trying to convince my team to adopt Kubeflow.",
            "Lately I'm trying to adopt Kubeflow at work, I love it.",
            "PhD student; I know Kubeflow in production.",
            "Engineer and developer, new to Kubeflow right now. Time for people!",
        ]
    )
    words = {w for t in ground.terms_.tolist() for w in t.split()}
    assert not words & generic
    assert ground.table_topics([[0, 1, 2, 3]], top=3) == [["Kubeflow"]]
    assert ground.shared_topics([0], [1]) == [["Kubeflow"]]


def test_german_and_dutch_function_words_are_never_topics() -> None:
    ground = CommonGround().fit(
        [
            "Interesse an Django. Gerne Austausch!",
            "Hauptsächlich Django, privat auch Kafka.",
            "Ik werk met asyncio en ben benieuwd naar Django.",
            "Ik werk met Kafka en ben benieuwd naar asyncio.",
            "Trabajo con Django y me interesa mucho asyncio.",
        ]
    )
    words = {w for t in ground.terms_.tolist() for w in t.split()}
    assert words <= {"django", "kafka", "asyncio"}
    assert ground.shared_topics([2], [3]) == [["asyncio"]]
    assert ground.shared_topics([1], [3]) == [["Kafka"]]


def test_names_keep_the_capitals_people_write() -> None:
    ground = CommonGround().fit(
        [
            "Django and FastAPI. I teach pytest.",
            "Interested in django, fastapi and pytest",
            "I use Django with FastAPI and pytest",
            "AI and DEI; CI/CD for C extensions",
            "AI ethics, DEI work and CI pipelines",
        ]
    )
    assert sorted(ground.shared_topics([0], [2])[0]) == ["Django", "FastAPI", "pytest"]
    assert sorted(ground.shared_topics([3], [4])[0]) == ["AI", "CI", "DEI"]


def test_why_sentences() -> None:
    assert (
        why(has_profile=True, mate="Ada Lovelace", shared=["testing", "packaging"])
        == "You and Ada Lovelace both talk about testing and packaging."
    )
    assert why(has_profile=False, mate="Ada Lovelace", shared=["testing"]) == NO_PROFILE
    assert (
        why(has_profile=True, mate="Ada", mate_topics=["data engineering"])
        == "Your closest match here is Ada (data engineering)."
    )
    assert why(has_profile=True, mate="Ada") == "Your closest match here is Ada."
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
