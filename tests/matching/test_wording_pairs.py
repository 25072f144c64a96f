"""Why lines on hand-made profile pairs: what a person would write about two tablemates.

Each pair is two people who share a table of two. The profiles mix lengths and styles (talk
abstracts, bios, keyword lists, one-liners), languages, typos, blanks and placeholders, and
the names include placeholders an import leaves behind. For every pair the test knows the
topics both profiles share ("no topic" when there is none), and across all pairs it checks
that no topic is a misspelling or a function word and that no placeholder name is quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from matching.explain import STOP_WORDS, CommonGround
from matching.placeholders import is_placeholder_name
from matching.report import build_report
from matching.types import Attendee, Round
from matching.wording import NO_PROFILE, parse_why, restate, why


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    #: The topics both profiles share, casefolded; empty for "no topic".
    topics: frozenset[str]
    name_a: str = "Ada Byron"
    name_b: str = "Bo Lindqvist"


def pair(a: str, b: str, *topics: str, names: tuple[str, str] | None = None) -> Pair:
    return Pair(a, b, frozenset(topics), *(names or ("Ada Byron", "Bo Lindqvist")))


PAIRS = [
    pair("Django and pytest, mostly testing big Django apps",
         "I write pytest fixtures all day for a Django shop", "django", "pytest"),
    # The line: "currntly and DuckDB setup" named a typo and a function word.
    pair("Currntly migrating our ETL to DuckDB", "currntly playing with DuckDB and Polars",
         "duckdb"),
    pair("I agree with everything about bouldering", "Agree that bouldering beats running",
         "bouldering"),
    pair("Intrested in machne learning and pytorch",
         "machne learning with PyTorch, intrested in JAX", "pytorch"),
    pair("Kubernetes and Terraform", "Kuberntes and terraform modules", "terraform"),
    pair("Let's discuss and compare async frameworks",
         "Always happy to compare notes on async Python", "async"),
    pair("Currently mostly doing data engineering", "Data engineering, recently",
         "data engineering"),
    pair("I'm interested in really anything and everything", "Happy to chat about anything!"),
    pair("Looking forward to meeting everyone", "Looking forward to the talks"),
    pair("recieve and send messages with RabbitMQ", "RabbitMQ consumers that recieve too much",
         "rabbitmq"),
    pair("FastAPI, Pydantic, SQLAlchemy", "pydantic; sqlalchemy; alembic",
         "pydantic", "sqlalchemy"),
    pair("From Airflow to Dagster: a migration story. In this talk I will show how we use "
         "Dagster to build data pipelines. We'll cover asset checks and the mistakes we made "
         "along the way.", "Dagster at work, Airflow in my nightmares.", "dagster", "airflow"),
    pair("Maria works as a data scientist at Acme. Her day job involves scikit-learn and "
         "MLflow.", "scikit-learn pipelines and MLflow tracking", "scikit-learn", "mlflow"),
    pair("Hannah is a backend developer who loves Kafka.", "Hannah builds Kafka streams.",
         "kafka", names=("Hannah Berg", "Hannah Lee")),
    pair("Sourdough baking and hiking", "hiking, sourdough", "sourdough", "hiking"),
    pair("I love cooking", "Cooking and gardening", "cooking"),
    pair("C++ and Rust", "Rust, C++ interop", "c++", "rust"),
    pair("Open source maintainer, packaging", "open source packaging and wheels",
         "open source", "packaging"),
    pair("Asyncio, trio, anyio", "trio and anyio for structured concurrency", "trio", "anyio"),
    pair("Threat modelling, fuzzing", "fuzzing web apps", "fuzzing"),
    pair("🐍 + 🦀 = ❤️", "Python and Rust"),
    # Several languages: the shared tool is the topic, never the language's own vocabulary
    # (its nouns cannot be told from its verbs, and the line around them is English).
    pair("Ich interessiere mich für Datenbanken und PostgreSQL",
         "PostgreSQL Replikation und Datenbanken", "postgresql"),
    pair("Je travaille sur le traitement du langage naturel avec spaCy",
         "spaCy et les transformers pour le français", "spacy"),
    pair("Me encanta la visualización de datos con Plotly", "Dashboards en Plotly y Dash",
         "plotly"),
    pair("Ik werk graag met Python en Pandas", "pandas en polars, dataframes", "pandas"),
    pair("Trabalho com Kubernetes e observabilidade", "observability with Kubernetes",
         "kubernetes"),
    pair("Mi occupo di sicurezza informatica e di Ansible", "Ansible e sicurezza", "ansible"),
    # Blanks and placeholders: nothing to share, and no closest-match line for the blank side.
    pair("", "Rust and WebAssembly"),
    pair("Info requested", "Kubernetes operators"),
    pair("TBD", "TBD"),
    pair("n/a", "machine learning"),
    pair("-", "?"),
    pair("See website", "Django channels"),
    # Placeholder names are never quoted as a person.
    pair("Rust, embedded systems", "embedded systems in Rust", "rust", "embedded systems",
         names=("Info Requested Info Requested", "Ada Byron")),
    pair("Graph databases and Neo4j", "neo4j, graph databases", "neo4j", "graph databases",
         names=("TBD", "N/A")),
    pair("Static typing with mypy", "mypy plugins", "mypy", names=("", "Info Requested")),
]  # fmt: skip

#: Every misspelling in PAIRS, casefolded.
TYPOS = {"currntly", "intrested", "machne", "kuberntes", "recieve"}
#: Words that carry no subject, beyond the stop word lists.
FUNCTION_WORDS = {
    "agree", "and", "currently", "mostly", "really", "recently", "discuss", "compare",
    "looking", "forward", "happy", "love", "loves", "interested", "everything", "anything",
    "works", "builds", "involves", "playing", "migrating", "doing", "beats", "send",
}  # fmt: skip


def _blank(text: str) -> bool:
    return text.strip() in {"", "Info requested", "TBD", "n/a", "-", "?", "See website"}


@pytest.fixture(scope="module")
def seated() -> tuple[list[Attendee], dict[str, dict[str, str]], list[list[str]]]:
    people: list[Attendee] = []
    for k, p in enumerate(PAIRS):
        people.append(Attendee(id=f"p{k}a", name=p.name_a, interests=p.a))
        people.append(Attendee(id=f"p{k}b", name=p.name_b, interests=p.b))
    # Every pair shares a table; each person's closest (only) tablemate is their partner.
    embeddings = np.eye(len(people))
    tables = [[f"p{k}a", f"p{k}b"] for k in range(len(PAIRS))]
    report = build_report(
        people, [Round(name="Lunch", table_size=2)], {"Lunch": tables}, embeddings
    )
    lines = {a.id: {"why": report.attendees[a.id]["Lunch"].why} for a in people}
    ground = CommonGround().fit([a.interests for a in people], names=[a.name for a in people])
    shared = ground.shared_topics(list(range(0, len(people), 2)), list(range(1, len(people), 2)))
    return people, lines, shared


@pytest.mark.parametrize("k", range(len(PAIRS)), ids=[p.a[:24] or "blank" for p in PAIRS])
def test_each_pair_shares_the_topics_a_person_would_name(
    seated: tuple[list[Attendee], dict[str, dict[str, str]], list[list[str]]], k: int
) -> None:
    _, _, shared = seated
    assert {t.casefold() for t in shared[k]} == PAIRS[k].topics


def test_no_topic_is_a_typo_or_a_function_word(
    seated: tuple[list[Attendee], dict[str, dict[str, str]], list[list[str]]],
) -> None:
    people, _, shared = seated
    ground = CommonGround().fit([a.interests for a in people])
    own = ground.own_topics(list(range(len(people))), top=5)
    words = {w.casefold() for topics in [*shared, *own] for t in topics for w in t.split()}
    assert words, "the pairs name topics at all"
    assert not words & TYPOS
    assert not words & FUNCTION_WORDS
    assert not words & STOP_WORDS


def test_why_lines_quote_no_placeholder_name_and_invite_the_blank(
    seated: tuple[list[Attendee], dict[str, dict[str, str]], list[list[str]]],
) -> None:
    _, lines, _ = seated
    for k, p in enumerate(PAIRS):
        for me, mine, name in (("a", p.a, p.name_b), ("b", p.b, p.name_a)):
            line = lines[f"p{k}{me}"]["why"]
            if _blank(mine):
                assert line == NO_PROFILE, (k, me)
                continue
            assert "closest match" not in line or not p.topics, (k, me, line)
            if is_placeholder_name(name):
                assert name.strip() == "" or name not in line, (k, me, line)
                assert line.startswith(("Someone at your table", "Your closest match")), line
            elif p.topics and name:
                assert line.startswith(f"You and {name} both talk about "), (k, me, line)
            for placeholder in ("Info Requested", "TBD", "N/A"):
                assert placeholder not in line, (k, me, line)


PLACEHOLDER_NAMES = ["", "  ", "Info Requested", "Info Requested Info Requested", "TBD", "N/A",
                     "n/a", "test test", "jane@example.org"]  # fmt: skip


@pytest.mark.parametrize("name", PLACEHOLDER_NAMES)
def test_a_placeholder_name_is_someone_at_your_table(name: str) -> None:
    shared = why(has_profile=True, mate=name, shared=["Rust"])
    closest = why(has_profile=True, mate=name, mate_topics=["Django"])
    bare = why(has_profile=True, mate=name)
    assert shared == "Someone at your table also talks about Rust."
    assert closest == "Your closest match at this table talks about Django."
    assert bare == "Your closest match is at this table."
    for line in (shared, closest, bare):
        parsed = parse_why(line)
        assert parsed is not None and parsed.mate == ""
        # Restated with the tablemate's name of today, or hidden words left out.
        assert restate(parsed, mate="Ruth Ng").startswith(("You and Ruth Ng", "Your closest"))
        assert name.strip() == "" or name not in restate(parsed, mate=name, quote=False)


def test_someone_without_a_profile_is_invited_whatever_the_match() -> None:
    for mate in ("Ada Byron", "Info Requested", None):
        assert why(has_profile=False, mate=mate, shared=["Rust"]) == NO_PROFILE
