"""The synthetic conference generator: counts, fractions, structure and determinism."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from matching.affiliation import affiliation_key
from matching.datasets import TOPICS, make_conference, make_embeddings_like, profile_topics
from matching.types import Attendee

N = 3000


@pytest.fixture(scope="module")
def conference() -> list[Attendee]:
    return make_conference(N, random_state=7)


def test_ids_counts_and_fractions(conference: list[Attendee]) -> None:
    assert len(conference) == N
    assert conference[0].id == "A00001" and conference[-1].id == f"A{N:05d}"
    assert len({a.id for a in conference}) == N
    assert sum(a.solo for a in conference) == round(0.30 * N)
    assert abs(np.mean([a.dinner for a in conference]) - 0.55) < 0.04
    assert abs(np.mean([a.first_time for a in conference]) - 0.35) < 0.04
    assert abs(np.mean([a.interests == "" for a in conference]) - 0.05) < 0.02


def test_fraction_parameters_are_honoured() -> None:
    people = make_conference(2000, random_state=1, solo_fraction=0.5, dinner_fraction=0.2)
    assert sum(a.solo for a in people) == 1000
    assert abs(np.mean([a.dinner for a in people]) - 0.2) < 0.04


def test_solo_people_have_no_party_and_parties_are_groups(conference: list[Attendee]) -> None:
    assert all(a.party is None for a in conference if a.solo)
    sizes = Counter(a.party for a in conference if a.party is not None)
    assert sizes, "some attendees come in parties"
    assert min(sizes.values()) >= 2
    assert max(sizes.values()) <= 6
    in_party = sum(sizes.values())
    assert in_party > 0.5 * (N - sum(a.solo for a in conference))


def test_team_parties_share_an_employer(conference: list[Attendee]) -> None:
    teams: dict[str, set[str | None]] = {}
    for a in conference:
        if a.party is not None and a.party.startswith("team-"):
            teams.setdefault(a.party, set()).add(affiliation_key("", a.email))
    assert teams
    assert all(len(keys) == 1 for keys in teams.values())


def test_same_seed_same_conference_other_seed_differs() -> None:
    assert make_conference(300, random_state=3) == make_conference(300, random_state=3)
    assert make_conference(300, random_state=3) != make_conference(300, random_state=4)


def test_company_sizes_are_heavy_tailed() -> None:
    people = make_conference(10_000, random_state=0)
    sizes = Counter(affiliation_key(a.affiliation, a.email) for a in people)
    sizes.pop(None, None)
    counts = sorted(sizes.values(), reverse=True)
    small = sum(1 for c in counts if c <= 3)
    assert small / len(counts) > 0.6, "most companies send one to three people"
    assert counts[0] >= 50, "a few employers send dozens or more"
    assert counts[0] <= 0.05 * len(people)


def test_affiliation_variants_normalise_to_one_key(conference: list[Attendee]) -> None:
    by_domain: dict[str, set[str]] = {}
    keys_by_domain: dict[str, set[str | None]] = {}
    for a in conference:
        domain = a.email.rsplit("@", 1)[1]
        if a.affiliation.strip() and affiliation_key("", a.email) is not None:
            by_domain.setdefault(domain, set()).add(a.affiliation)
            keys_by_domain.setdefault(domain, set()).add(affiliation_key(a.affiliation))
    spelled_differently = [d for d, spellings in by_domain.items() if len(spellings) >= 3]
    assert len(spelled_differently) >= 10, "employees type their company in different ways"
    for domain in spelled_differently:
        assert len(keys_by_domain[domain]) == 1, (domain, by_domain[domain])


def test_empty_affiliations_and_freelancers(conference: list[Attendee]) -> None:
    empty_with_company_mail = [
        a for a in conference if not a.affiliation and affiliation_key("", a.email) is not None
    ]
    no_key = [a for a in conference if affiliation_key(a.affiliation, a.email) is None]
    assert len(empty_with_company_mail) > 0.02 * N
    assert len(no_key) > 0.03 * N
    assert all("@" in a.email and " " not in a.email for a in conference)


def test_profiles_are_varied(conference: list[Attendee]) -> None:
    texts = [a.interests for a in conference if a.interests]
    assert len(set(texts)) > 0.9 * len(texts)
    lengths = [len(t) for t in texts]
    assert max(lengths) <= 500
    assert min(lengths) < 30 and max(lengths) > 150
    lower = sum(t == t.lower() for t in texts)
    assert 0.03 * len(texts) < lower < 0.4 * len(texts)
    mentioned = Counter(t for text in texts for t in profile_topics(text))
    assert len(mentioned) >= 0.9 * len(TOPICS)
    foreign = [a for a in conference if a.interests and "English" not in a.languages]
    assert any(
        not a.interests.isascii() or a.interests.split()[0] in {"Ich", "Je", "Trabajo"}
        for a in foreign
    )


def test_languages_and_hometowns(conference: list[Attendee]) -> None:
    towns = Counter(a.hometown for a in conference)
    top = towns.most_common()
    assert len(towns) > 30
    assert top[0][1] > 5 * top[-1][1], "a few big cities and a long tail"
    english = np.mean(["English" in a.languages for a in conference])
    assert 0.75 < english < 0.99
    assert any(a.languages and "English" not in a.languages for a in conference)


def test_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="'n_attendees' parameter must be an int >= 1"):
        make_conference(0)
    with pytest.raises(ValueError, match="'solo_fraction' parameter must be a float in"):
        make_conference(10, solo_fraction=1.5)


def test_profile_topics_finds_keywords() -> None:
    assert profile_topics("backend dev; django, PYTEST and ci/cd") == [
        "web frameworks",
        "testing",
        "devops",
    ]
    assert profile_topics("") == []


def test_synthetic_embeddings_have_topic_structure(conference: list[Attendee]) -> None:
    x = make_embeddings_like(conference, dimension=64, random_state=0)
    assert x.shape == (N, 64) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    topics = [set(profile_topics(a.interests)) for a in conference]
    sims = x @ x.T
    same: list[float] = []
    disjoint: list[float] = []
    for i in range(300):
        for j in range(i + 1, 300):
            if topics[i] and topics[j]:
                target = same if topics[i] == topics[j] else disjoint
                if topics[i] == topics[j] or not topics[i] & topics[j]:
                    target.append(sims[i, j])
    assert len(same) > 20 and len(disjoint) > 1000
    assert np.mean(same) > np.mean(disjoint) + 0.2
    assert np.array_equal(x, make_embeddings_like(conference, dimension=64, random_state=0))
