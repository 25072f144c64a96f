"""The service's profile encoder, chosen by ``HALLWAY_EMBEDDING_MODEL``.

``all-MiniLM-L6-v2`` (the default) is the model bundled in a Python package; ``hashing`` is a
cheap deterministic encoder for tests and demos; anything else is a sentence-transformers model
name or path. Real models are wrapped in an on-disk cache, so re-encoding a profile that has not
changed (a re-plan, an edit's report, the map) costs a file read, not a model run.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from service.config import get_settings

HASHING = "hashing"
BUNDLED = "all-MiniLM-L6-v2"


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@lru_cache(maxsize=4)
def _encoder(model: str, cache_dir: str | None) -> Encoder:
    # Imported on first use: loading sentence-transformers takes seconds.
    embeddings = importlib.import_module("matching.embeddings")
    if model == HASHING:
        return embeddings.HashingEncoder()
    bundled = model in (BUNDLED, embeddings.DEFAULT_MODEL_NAME)
    inner = embeddings.SentenceTransformerEncoder(None if bundled else model)
    return embeddings.CachedEncoder(inner, cache_dir=cache_dir)


def get_encoder() -> Encoder:
    """The encoder the settings ask for (one per model and cache folder per process)."""
    settings = get_settings()
    return _encoder(settings.embedding_model, settings.cache_dir)


class Profile(Protocol):
    """Anything with an attendee's interests: a row, or the engine's view of one."""

    @property
    def interests(self) -> str: ...


def profile_text(attendee: Profile) -> str:
    """What of an attendee is embedded: their own words about their interests."""
    return attendee.interests or ""


def embed(attendees: Sequence[Profile], *, encoder: Encoder | None = None) -> np.ndarray:
    """One L2-normalised row per attendee, in order."""
    if not attendees:
        return np.zeros((0, 1), dtype=np.float32)
    vectors = (encoder or get_encoder()).encode([profile_text(a) for a in attendees])
    return np.asarray(vectors, dtype=np.float32)
