"""Encoders: shapes and norms, blank profiles, the disk cache, and (slow) the real model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import spearmanr

from matching import Matcher
from matching.datasets import make_conference
from matching.embeddings import (
    CachedEncoder,
    Encoder,
    HashingEncoder,
    SentenceTransformerEncoder,
    is_blank_profile,
    neutral_vector,
    profile_text,
)
from matching.kindred import kindred_threshold
from matching.realistic import make_profiles
from matching.types import Attendee

RELATED = (
    "Backend developer, mostly Django and Django REST framework.",
    "Web developer working with Django and REST APIs.",
)
UNRELATED = "I do satellite imagery analysis and remote sensing with GIS tools."
BLANKS = ("", "   ", "n/a", "-", "???", "None.")


class CountingEncoder:
    """Wraps an encoder and records every text it is asked to embed."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.seen: list[str] = []

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.inner.encode(texts)


def assert_unit_float32(x: np.ndarray, n: int, d: int) -> None:
    assert x.shape == (n, d)
    assert x.dtype == np.float32
    assert np.isfinite(x).all()
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)


def test_hashing_encoder_shape_norm_and_protocol() -> None:
    enc = HashingEncoder(dimension=128)
    assert isinstance(enc, Encoder)
    texts = [a.interests for a in make_conference(200, random_state=0)]
    x = enc.encode(texts)
    assert_unit_float32(x, 200, 128)
    np.testing.assert_array_equal(x, HashingEncoder(dimension=128).encode(texts))


def test_hashing_encoder_related_closer_than_unrelated() -> None:
    a, b, c = HashingEncoder().encode([*RELATED, UNRELATED])
    assert a @ b > a @ c + 0.2
    assert a @ b > b @ c + 0.2


def test_hashing_encoder_blank_profiles_are_neutral() -> None:
    enc = HashingEncoder()
    x = enc.encode([*BLANKS, *RELATED, "the and of"])
    blank_rows = x[: len(BLANKS)]
    assert np.allclose(blank_rows, blank_rows[0])
    # About orthogonal to real profiles, as unrelated profiles are for this encoder.
    assert np.abs(x[len(BLANKS) : -1] @ blank_rows[0]).max() < 0.3
    np.testing.assert_allclose(x[-1], blank_rows[0])


def test_hashing_encoder_rejects_bad_dimension() -> None:
    with pytest.raises(ValueError, match="'dimension' parameter must be an int >= 8"):
        HashingEncoder(dimension=2).encode(["x"])


@pytest.mark.parametrize(
    ("text", "blank"),
    [("", True), (" \n", True), ("N/A", True), ("none.", True), ("?!", True), ("ok", False),
     ("Django", False), ("データ分析", False)],
)  # fmt: skip
def test_is_blank_profile(text: str, blank: bool) -> None:
    assert is_blank_profile(text) is blank


def test_profile_text_is_the_normalised_interests_only() -> None:
    attendee = Attendee(
        id="a1",
        name="Ada Lovelace",
        email="ada@engines.example",
        affiliation="Analytical Engines",
        interests="  Django,\n\tpytest  ",
        hometown="London",
    )
    assert profile_text(attendee) == "Django, pytest"


def test_neutral_vector_matches_average_similarity() -> None:
    rng = np.random.default_rng(1)
    centre = rng.standard_normal(128)
    ref = centre + 0.8 * rng.standard_normal((400, 128))
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    v = neutral_vector(ref)
    assert v.dtype == np.float32
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    own = ref @ v
    average = (ref @ ref.T).mean(axis=1)
    # Each profile sees a blank one as about an average stranger.
    assert abs(float(own.mean() - average.mean())) < 0.02
    assert float(np.abs(own - average).mean()) < 0.05


def test_cache_rerun_embeds_nothing(tmp_path: Path) -> None:
    texts = [a.interests for a in make_conference(150, random_state=2)]
    first_inner = CountingEncoder(HashingEncoder(dimension=64))
    first = CachedEncoder(first_inner, cache_dir=tmp_path)
    x1 = first.encode(texts)
    distinct = {"" if is_blank_profile(t) else t for t in texts}
    assert first.embedded == len(distinct) == len(first_inner.seen)
    assert first.hits + first.misses == len(texts)

    # A new process would build a new encoder: nothing is embedded again.
    second_inner = CountingEncoder(HashingEncoder(dimension=64))
    second = CachedEncoder(second_inner, cache_dir=tmp_path)
    x2 = second.encode(texts)
    assert second_inner.seen == []
    assert (second.hits, second.misses, second.embedded) == (len(texts), 0, 0)
    np.testing.assert_array_equal(x1, x2)

    edited = [*texts[:-1], texts[-1] + " Also: GIS."]
    third_inner = CountingEncoder(HashingEncoder(dimension=64))
    third = CachedEncoder(third_inner, cache_dir=tmp_path)
    third.encode(edited)
    assert third_inner.seen == [edited[-1]]


def test_cache_is_per_model(tmp_path: Path) -> None:
    a = CachedEncoder(HashingEncoder(dimension=64), cache_dir=tmp_path)
    b = CachedEncoder(HashingEncoder(dimension=96), cache_dir=tmp_path)
    assert a.path != b.path
    assert a.encode(["pytest"]).shape == (1, 64)
    assert b.encode(["pytest"]).shape == (1, 96)
    assert b.embedded == 1


def test_cache_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLWAY_CACHE_DIR", str(tmp_path))
    enc = CachedEncoder(HashingEncoder(dimension=16))
    enc.encode(["typing and mypy"])
    assert enc.path.is_relative_to(tmp_path) and enc.path.exists()


def test_cache_handles_empty_and_duplicate_input(tmp_path: Path) -> None:
    enc = CachedEncoder(HashingEncoder(dimension=16), cache_dir=tmp_path)
    assert enc.encode([]).shape == (0, 16)
    x = enc.encode(["GIS", "GIS", "", "n/a"])
    assert enc.embedded == 2
    np.testing.assert_array_equal(x[0], x[1])
    np.testing.assert_array_equal(x[2], x[3])


def test_sentence_transformer_encoder_validates_backend() -> None:
    with pytest.raises(ValueError, match="'backend' parameter must be one of"):
        SentenceTransformerEncoder(backend="tpu")  # type: ignore[arg-type]


# The real model: few tests, one shared instance per backend for the session.


@pytest.mark.slow
def test_real_encoder_related_profiles_are_closer(
    real_encoder: SentenceTransformerEncoder,
) -> None:
    x = real_encoder.encode([*RELATED, UNRELATED, "", "n/a", "Pytest and property-based tests."])
    assert_unit_float32(x, 6, 384)
    a, b, c = x[:3]
    assert a @ b > a @ c + 0.2
    np.testing.assert_array_equal(x[3], x[4])
    # The blank vector is no one's kindred spirit and no one's opposite.
    assert 0.0 < float(x[3] @ a) < float(a @ b)
    assert 0.0 < float(x[3] @ x[5]) < 0.6


@pytest.fixture(scope="module")
def plain_model(real_encoder: SentenceTransformerEncoder) -> Any:
    """The reference: plain sentence-transformers (float32) with the same bundled weights."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(real_encoder.path, device="cpu")


def kindred_decisions(X: np.ndarray) -> np.ndarray:
    """Above or below the kindred threshold, as the engine decides it, for every pair."""
    threshold = kindred_threshold(X, Matcher().kindred_quantile, rng=np.random.default_rng(0))
    return (X @ X.T)[np.triu_indices(len(X), 1)] >= threshold


@pytest.mark.slow
def test_fast_backend_agrees_with_plain_sentence_transformers(
    real_encoder: SentenceTransformerEncoder, plain_model: Any
) -> None:
    texts = [
        a.interests
        for a in make_conference(120, random_state=5)
        if not is_blank_profile(a.interests)
    ]
    plain = plain_model.encode(texts)
    fast = real_encoder.encode(texts)
    assert_unit_float32(fast, len(texts), 384)
    i, j = np.triu_indices(len(texts), 1)
    rho = spearmanr(np.sum(plain[i] * plain[j], 1), np.sum(fast[i] * fast[j], 1)).statistic
    assert rho >= 0.98


@pytest.mark.slow
def test_default_encoder_keeps_the_reference_models_kindred_decisions(
    real_encoder: SentenceTransformerEncoder, plain_model: Any
) -> None:
    # Realistic profiles (abstracts, bios, several languages, typos): int8 weights flip about
    # 1.6% of these decisions, where the search packs its kindred pairs.
    texts = [t for t in make_profiles(300, random_state=12) if not is_blank_profile(t)]
    plain = plain_model.encode(texts, normalize_embeddings=True)
    production = real_encoder.encode(texts)
    assert real_encoder.backend == "auto"
    kept = np.mean(kindred_decisions(production) == kindred_decisions(plain))
    assert kept >= 0.998, f"{kept:.2%} of kindred decisions kept"
