"""Embedding speed and fidelity: plain sentence-transformers vs Hallway's encoder, and the cache.

On the same ``n`` profiles, realistic ones by default (:func:`matching.realistic.make_profiles`:
talk abstracts, bios, one-liners, tool lists, seven languages, typos, placeholders) or the tidy
generated ones of :func:`matching.datasets.make_conference` (``--generated``), in one run:

- profiles per second of plain ``SentenceTransformer(path).encode(texts)`` (the bundled
  all-MiniLM-L6-v2, its defaults), of the production default
  :class:`matching.embeddings.SentenceTransformerEncoder` and of the other ONNX backend for
  reference; every encoder runs at the same thread count (``--threads``, default every core this
  process may use). Each repeat runs every encoder once, in a rotated order, so a change in
  machine load hits each alike; each figure is the median of ``--repeats`` runs after one untimed
  warm-up (model load and the one-off ONNX build are reported apart), in wall time and in CPU
  time (other jobs' load inflates the wall time of whichever run it hits, but barely moves the
  CPU time a run takes);
- **decision agreement** with plain: the share of pairs of non-blank profiles that an encoder
  puts on the same side of the kindred threshold as plain does, each encoder at its own
  threshold computed the way the engine computes it (:func:`matching.kindred.kindred_threshold`
  at the matcher's default quantile), on all pairs of the first 3,000; how many of the flipped
  pairs lie within 0.01 of plain's threshold; the largest change of a similarity; and, for an
  encoder that falls short, the share of profiles that a float32 re-check of its near-threshold
  pairs would have to re-embed to reach the target;
- Spearman rank agreement of the pairwise similarities of sampled pairs against plain, on pairs
  of non-blank profiles (blank profiles get the neutral vector by design, so all pairs are shown
  too);
- a cached run into an empty directory, then a re-run from a new encoder instance on the same
  directory (it must embed nothing) and a re-run after 1% of the profiles changed.

Usage::

    python -m benchmarks.embedding [--n 2000] [--repeats 3] [--threads N] [--generated]
    python -m benchmarks.embedding --smoke
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from scipy.stats import spearmanr

from benchmarks.common import machine_line, markdown_table, median_time
from matching import Matcher
from matching.datasets import make_conference
from matching.embeddings import (
    CachedEncoder,
    SentenceTransformerEncoder,
    is_blank_profile,
    profile_text,
)
from matching.kindred import kindred_threshold
from matching.realistic import make_profiles

SPEEDUP_TARGET = 2.0
SPEARMAN_TARGET = 0.98
DECISION_TARGET = 0.998
#: Decisions are compared on all pairs of at most this many profiles (4.5 million pairs).
DECISION_PROFILES_MAX = 3000
#: Flipped pairs this close to plain's threshold count as "near" it.
NEAR = 0.01
#: The matcher's default: pairs at or above this quantile of all similarities are kindred.
KINDRED_QUANTILE = float(Matcher().kindred_quantile)
_RECHECK_MARGINS = (0.005, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.12)


@dataclass(frozen=True, slots=True)
class Decisions:
    """How an encoder's kindred decisions compare with the reference's, over all pairs.

    Attributes:
        pairs: Pairs compared.
        flips: Pairs on the other side of the threshold than in the reference.
        near_flips: Flipped pairs within :data:`NEAR` of the reference's threshold.
        max_delta: Largest absolute change of a pairwise similarity.
        mean_delta: Mean absolute change.
        recheck_margin: Smallest margin around the encoder's own threshold within which
            re-checking pairs with the reference's similarities reaches
            :data:`DECISION_TARGET`; None when no margin tried does.
        recheck_profiles: Share of profiles in at least one of those pairs (they would need
            the reference's vectors).
    """

    pairs: int
    flips: int
    near_flips: int
    max_delta: float
    mean_delta: float
    recheck_margin: float | None
    recheck_profiles: float

    @property
    def agreement(self) -> float:
        """Share of pairs on the same side of the threshold as in the reference."""
        return 1.0 - self.flips / max(self.pairs, 1)


def decision_agreement(reference: np.ndarray, candidate: np.ndarray) -> Decisions:
    """Compare kindred decisions (each side at its own threshold) over all pairs of rows.

    Example:
        >>> x = np.eye(4, dtype=np.float32)
        >>> decision_agreement(x, x).agreement
        1.0
    """
    n = len(reference)
    upper = np.triu_indices(n, 1)
    ref = (reference @ reference.T)[upper]
    cand = (candidate @ candidate.T)[upper]
    rng = np.random.default_rng(0)
    t_ref = kindred_threshold(reference, KINDRED_QUANTILE, rng=rng)
    t_cand = kindred_threshold(candidate, KINDRED_QUANTILE, rng=rng)
    kin_ref = ref >= t_ref
    kin_cand = cand >= t_cand
    flipped = kin_ref != kin_cand
    delta = np.abs(cand - ref)
    margin: float | None = None
    touched = 0.0
    if flipped.mean() > 1.0 - DECISION_TARGET:
        for m in _RECHECK_MARGINS:
            near = np.abs(cand - t_cand) < m
            rechecked = np.where(near, kin_ref, kin_cand)
            if (rechecked == kin_ref).mean() >= DECISION_TARGET:
                rows = np.zeros(n, dtype=bool)
                rows[upper[0][near]] = True
                rows[upper[1][near]] = True
                margin, touched = m, float(rows.mean())
                break
    return Decisions(
        pairs=int(flipped.size),
        flips=int(flipped.sum()),
        near_flips=int((flipped & (np.abs(ref - t_ref) < NEAR)).sum()),
        max_delta=float(delta.max()) if delta.size else 0.0,
        mean_delta=float(delta.mean()) if delta.size else 0.0,
        recheck_margin=margin,
        recheck_profiles=touched,
    )


def pair_spearman(a: np.ndarray, b: np.ndarray, rows: np.ndarray, pairs: int, seed: int) -> float:
    """Spearman correlation of cosine similarities of random pairs drawn from ``rows``."""
    rng = np.random.default_rng(seed)
    i = rng.choice(rows, size=pairs)
    j = rng.choice(rows, size=pairs)
    keep = i != j
    i, j = i[keep], j[keep]
    sa = np.einsum("ij,ij->i", a[i], a[j])
    sb = np.einsum("ij,ij->i", b[i], b[j])
    return float(spearmanr(sa, sb).statistic)


def _limit_threads(threads: int | None) -> int:
    """Run everything on ``threads`` cores: torch's pool, ONNX Runtime's and the tokenizer's."""
    import torch

    cores = sorted(os.sched_getaffinity(0))
    if threads is not None:
        if not 1 <= threads <= len(cores):
            raise SystemExit(f"--threads must be in 1..{len(cores)}; got {threads}")
        # ONNX Runtime sizes its pool from the affinity (matching.embeddings), torch is told.
        os.sched_setaffinity(0, cores[:threads])
        cores = cores[:threads]
    torch.set_num_threads(len(cores))
    return len(cores)


def _texts(n: int, seed: int, generated: bool) -> list[str]:
    if generated:
        return [profile_text(a) for a in make_conference(n, random_state=seed)]
    return [" ".join(t.split()) for t in make_profiles(n, random_state=seed)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=2000, help="profiles to embed")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per encoder")
    parser.add_argument("--threads", type=int, default=None, help="cores for every encoder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pairs", type=int, default=200_000, help="pairs for Spearman")
    parser.add_argument(
        "--generated", action="store_true", help="make_conference's tidy profiles instead"
    )
    parser.add_argument("--smoke", action="store_true", help="200 profiles, one run")
    args = parser.parse_args(argv)
    if args.smoke:
        args.n, args.repeats, args.pairs = 200, 1, 20_000

    threads = _limit_threads(args.threads)
    from sentence_transformers import SentenceTransformer

    print(machine_line(), f"threads per encoder: {threads}", flush=True)
    texts = _texts(args.n, args.seed, args.generated)
    blank = np.array([is_blank_profile(t) for t in texts])
    print(
        f"{len(texts)} {'generated' if args.generated else 'realistic'} profiles: "
        f"{len(set(texts))} distinct, {int(blank.sum())} blank, median "
        f"{int(np.median([len(t) for t in texts]))} characters",
        flush=True,
    )
    warm = texts[:64]

    start = time.perf_counter()
    plain = SentenceTransformer(SentenceTransformerEncoder().path, device="cpu")
    plain.encode(warm)
    plain_load = time.perf_counter() - start

    production = SentenceTransformerEncoder()
    encoders: dict[str, SentenceTransformerEncoder] = {"production": production}
    for backend in ("onnx", "onnx-int8"):
        if backend != production.backend_:
            encoders[f"{backend} (reference)"] = SentenceTransformerEncoder(backend=backend)
    loads: dict[str, float] = {}
    for name, encoder in encoders.items():
        start = time.perf_counter()
        encoder.encode([*warm, ""])  # builds the ONNX export and the neutral vector if needed
        loads[name] = time.perf_counter() - start

    calls: dict[str, Any] = {"plain": lambda: plain.encode(texts)}
    for name, encoder in encoders.items():
        calls[name] = lambda encoder=encoder: encoder.encode(texts)
    names = list(calls)
    runs: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    vectors: dict[str, np.ndarray] = {}
    for repeat in range(args.repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            cpu_start = time.process_time()
            timing = median_time(calls[name], repeats=1)
            cpu[name].append(time.process_time() - cpu_start)
            runs[name].extend(timing.runs)
            vectors[name] = np.asarray(timing.result, dtype=np.float32)
            print(
                f"run {repeat + 1}/{args.repeats} {name}: {len(texts) / timing.median:.0f} "
                f"profiles/s ({len(texts) / cpu[name][-1]:.0f} per CPU-second)",
                flush=True,
            )

    rate = {name: len(texts) / float(np.median(r)) for name, r in runs.items()}
    cpu_rate = {name: len(texts) / float(np.median(r)) for name, r in cpu.items()}
    non_blank = np.flatnonzero(~blank)
    everyone = np.arange(len(texts))
    agreement = {
        name: (
            pair_spearman(vectors["plain"], vectors[name], non_blank, args.pairs, args.seed),
            pair_spearman(vectors["plain"], vectors[name], everyone, args.pairs, args.seed),
        )
        for name in encoders
    }
    compared = non_blank[:DECISION_PROFILES_MAX]
    decisions = {
        name: decision_agreement(vectors["plain"][compared], vectors[name][compared])
        for name in encoders
    }

    with tempfile.TemporaryDirectory() as cache_dir:
        cold = CachedEncoder(SentenceTransformerEncoder(), cache_dir=cache_dir)
        cold_time = median_time(lambda: cold.encode(texts), repeats=1).median
        rerun = CachedEncoder(SentenceTransformerEncoder(), cache_dir=cache_dir)
        rerun_time = median_time(lambda: rerun.encode(texts), repeats=1).median
        changed = list(texts)
        for i in range(0, len(changed), 100):
            changed[i] = f"{changed[i]} Also keen on board games."
        edit = CachedEncoder(SentenceTransformerEncoder(), cache_dir=cache_dir)
        edit_time = median_time(lambda: edit.encode(changed), repeats=1).median

    print(f"\nproduction encoder: backend {production.backend_!r}, model {production.model_name}")
    print(
        f"load + warm-up (s): plain {plain_load:.1f}, "
        + ", ".join(f"{k} {v:.1f}" for k, v in loads.items())
        + " (includes the one-off ONNX build when the cache was empty)\n"
    )
    rows: list[list[Any]] = []
    for name in names:
        spread = ", ".join(f"{len(texts) / t:.0f}" for t in runs[name])
        rows.append(
            [
                name,
                f"{rate[name]:.0f}",
                spread,
                f"{rate[name] / rate['plain']:.2f}x",
                f"{cpu_rate[name]:.0f}",
                f"{cpu_rate[name] / cpu_rate['plain']:.2f}x",
                "-" if name == "plain" else f"{agreement[name][0]:.4f}",
                "-" if name == "plain" else f"{agreement[name][1]:.4f}",
            ]
        )
    print(
        markdown_table(
            [
                "encoder",
                "profiles/s (median)",
                "each run",
                "vs plain",
                "profiles/CPU-s (median)",
                "vs plain (CPU)",
                "Spearman, non-blank pairs",
                "Spearman, all pairs",
            ],
            rows,
        )
    )
    print(
        f"\nKindred decisions against plain on all {decisions['production'].pairs:,} pairs of "
        f"non-blank profiles (threshold: the {KINDRED_QUANTILE:g} quantile of each encoder's "
        "own similarities, as the engine computes it)\n"
    )
    decision_rows: list[list[Any]] = []
    for name, d in decisions.items():
        if d.recheck_margin is not None:
            recheck = f"±{d.recheck_margin:g}: {d.recheck_profiles:.1%} of profiles"
        else:
            recheck = "-" if d.agreement >= DECISION_TARGET else "none tried reaches it"
        decision_rows.append(
            [
                name,
                f"{d.agreement:.4%}",
                f"{d.flips:,}",
                f"{d.near_flips:,}",
                f"{d.max_delta:.2g}",
                f"{d.mean_delta:.2g}",
                recheck,
            ]
        )
    print(
        markdown_table(
            [
                "encoder",
                "decisions kept",
                "flipped pairs",
                f"of them within {NEAR:g} of the threshold",
                "largest similarity change",
                "mean similarity change",
                f"float re-check needed for {DECISION_TARGET:.1%}",
            ],
            decision_rows,
        )
    )
    speedup = rate["production"] / rate["plain"]
    cpu_speedup = cpu_rate["production"] / cpu_rate["plain"]
    rho = agreement["production"][0]
    kept = decisions["production"].agreement
    print()
    print(
        markdown_table(
            ["measure", "target", "measured", "met"],
            [
                [
                    "production: kindred decisions kept vs plain",
                    f">= {DECISION_TARGET:.1%}",
                    f"{kept:.4%}",
                    "yes" if kept >= DECISION_TARGET else "NO",
                ],
                [
                    "production speed vs plain, wall time",
                    f">= {SPEEDUP_TARGET:.1f}x",
                    f"{speedup:.2f}x",
                    "yes" if speedup >= SPEEDUP_TARGET else "NO",
                ],
                [
                    "production speed vs plain, CPU time",
                    f">= {SPEEDUP_TARGET:.1f}x",
                    f"{cpu_speedup:.2f}x",
                    "yes" if cpu_speedup >= SPEEDUP_TARGET else "NO",
                ],
                [
                    "Spearman vs plain (non-blank pairs)",
                    f">= {SPEARMAN_TARGET}",
                    f"{rho:.4f}",
                    "yes" if rho >= SPEARMAN_TARGET else "NO",
                ],
                [
                    "cached re-run: profiles embedded",
                    "0",
                    f"{rerun.embedded} (hits {rerun.hits}, {rerun_time:.2f} s)",
                    "yes" if rerun.embedded == 0 else "NO",
                ],
                [
                    "cold cached run: profiles embedded",
                    "distinct non-blank + 1",
                    f"{cold.embedded} ({cold_time:.1f} s)",
                    "-",
                ],
                [
                    "re-run after 1% edited: profiles embedded",
                    f"{len(range(0, len(texts), 100))}",
                    f"{edit.embedded} ({edit_time:.2f} s)",
                    "-",
                ],
            ],
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
