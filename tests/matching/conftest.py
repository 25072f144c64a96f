"""Synthetic conferences and independent plan measurements for the engine's tests.

The figures here are computed from scratch (no engine code), so the tests check the engine
against the product rules rather than against itself.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from matching.affiliation import affiliation_key
from matching.types import Attendee, Round, Seating


def clustered_embeddings(n: int, *, d: int = 48, clusters: int = 16, seed: int = 0) -> np.ndarray:
    """Unit vectors around a few topic centres: neighbours are meaningful, like real profiles."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, d))
    labels = rng.integers(0, clusters, size=n)
    X = centres[labels] + 0.9 * rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32)


def synthetic_attendees(n: int, *, seed: int = 0) -> list[Attendee]:
    """A conference mix: a few big employers, many small ones, parties, solos, diners."""
    rng = np.random.default_rng(seed)
    towns = [f"Town {i}" for i in range(25)]
    langs = ["English", "German", "French", "Spanish", "Japanese"]
    people = []
    n_parties = max(1, n // 25)
    for i in range(n):
        r = rng.random()
        if r < 0.15:
            company = f"BigCorp {rng.integers(3)} GmbH"
        elif r < 0.65:
            company = f"Company {rng.integers(max(2, n // 6))}"
        else:
            company = ""
        solo = bool(rng.random() < 0.3)
        party = None if solo or rng.random() > 0.15 else f"party-{rng.integers(n_parties)}"
        spoken = tuple(rng.choice(langs, size=int(rng.integers(0, 3)), replace=False).tolist())
        people.append(
            Attendee(
                id=f"a{i}",
                name=f"Person {i}",
                email=f"p{i}@example{i}.org" if not company else "",
                affiliation=company,
                hometown=str(rng.choice(towns)),
                languages=spoken,
                solo=solo,
                party=party,
                dinner=bool(rng.random() < 0.6),
                first_time=bool(rng.random() < 0.4),
            )
        )
    return people


def random_seating(
    attendees: Sequence[Attendee], rounds: Sequence[Round], *, seed: int = 0
) -> Seating:
    """Shuffle and cut: what an organizer gets without a matcher."""
    rng = np.random.default_rng(seed)
    out: Seating = {}
    for r in rounds:
        ids = [a.id for a in attendees if r.kind == "lunch" or a.dinner]
        rng.shuffle(ids)
        size = r.table_size or max(r.capacities or (1,))
        n_tables = -(-len(ids) // size)
        out[r.name] = [ids[t::n_tables] for t in range(n_tables)]
    return out


def _pairs(table: Sequence[str]) -> list[tuple[str, str]]:
    return [(a, b) if a < b else (b, a) for a, b in itertools.combinations(table, 2)]


def plan_figures(
    attendees: Sequence[Attendee],
    rounds: Sequence[Round],
    seating: Seating,
    X: np.ndarray,
    *,
    threshold: float,
    history: Sequence[Sequence[str]] = (),
) -> dict[str, Any]:
    """Every product rule measured on a seating, independently of the engine."""
    by_id = {a.id: a for a in attendees}
    row = {a.id: i for i, a in enumerate(attendees)}
    company = {a.id: affiliation_key(a.affiliation, a.email) for a in attendees}
    figures: dict[str, Any] = {"rounds": {}}
    met = Counter(p for table in history for p in _pairs(table))
    for r in rounds:
        tables = seating[r.name]
        n_tables = len(tables)
        dinner = r.kind == "dinner"
        seated = [a for t in tables for a in t]
        parties = Counter(by_id[a].party for a in seated if by_id[a].party)
        coworker_pairs = sum(
            1 for t in tables for a, b in _pairs(t) if company[a] and company[a] == company[b]
        )
        sizes = Counter(company[a] for a in seated if company[a])
        minimum = 0
        for c in sizes.values():
            q, rem = divmod(c, n_tables)
            minimum += rem * (q + 1) * q // 2 + (n_tables - rem) * q * (q - 1) // 2
        party_pairs = 0
        for t in tables:
            for a, b in _pairs(t):
                p = by_id[a].party
                if p and p == by_id[b].party and not (dinner and parties[p] == 2):
                    party_pairs += 1
        party_min = 0
        for c in parties.values():
            if dinner and c == 2:
                continue
            q, rem = divmod(c, n_tables)
            party_min += rem * (q + 1) * q // 2 + (n_tables - rem) * q * (q - 1) // 2
        solos = [sum(by_id[a].solo for a in t) for t in tables if t]
        lone = 0
        for t in tables:
            counts = Counter(by_id[a].party for a in t if by_id[a].party)
            for p, c in counts.items():
                outsiders = [a for a in t if by_id[a].party != p]
                if c >= 2 and c == len(t) - 1 and by_id[outsiders[0]].solo:
                    lone += 1
        with_kindred = 0
        within: list[float] = []
        for t in tables:
            idx = [row[a] for a in t]
            S = X[idx] @ X[idx].T
            np.fill_diagonal(S, -np.inf)
            with_kindred += int((S.max(axis=1) >= threshold).sum()) if len(t) > 1 else 0
            iu = np.triu_indices(len(t), 1)
            within.extend((1.0 - S[iu]).tolist())
        repeats = 0
        for t in tables:
            for p in _pairs(t):
                repeats += met[p]
        for t in tables:
            met.update(_pairs(t))
        figures["rounds"][r.name] = {
            "seated": Counter(seated),
            "sizes": [len(t) for t in tables],
            "coworker_pairs": coworker_pairs,
            "coworker_min": minimum,
            "party_pairs": party_pairs,
            "party_min": party_min,
            "solo_spread": (max(solos) - min(solos)) if solos else 0,
            "lone_outsiders": lone,
            "kindred_share": with_kindred / max(len(seated), 1),
            "mean_within_distance": float(np.mean(within)) if within else 0.0,
            "repeats": repeats,
        }
    figures["repeats"] = sum(f["repeats"] for f in figures["rounds"].values())
    return figures


def mean_random_pair_distance(X: np.ndarray, *, seed: int = 0, n_pairs: int = 200_000) -> float:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, X.shape[0], n_pairs)
    b = rng.integers(0, X.shape[0], n_pairs)
    keep = a != b
    return float(1.0 - np.einsum("ij,ij->i", X[a[keep]], X[b[keep]]).mean())


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for tests (a conftest cannot be imported by module name here)."""
    return SimpleNamespace(
        clustered_embeddings=clustered_embeddings,
        synthetic_attendees=synthetic_attendees,
        random_seating=random_seating,
        plan_figures=plan_figures,
        mean_random_pair_distance=mean_random_pair_distance,
    )


@pytest.fixture(scope="session")
def real_encoder() -> Any:
    """The production encoder with the bundled model: one instance for every test that needs it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from matching.embeddings import SentenceTransformerEncoder, default_cache_dir

    # The ONNX export is built once per run, into the session's private cache
    # (HALLWAY_CACHE_DIR, see tests/private_home.py), where the benchmarks' smoke runs find it.
    return SentenceTransformerEncoder(cache_dir=default_cache_dir())
