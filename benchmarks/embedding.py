"""Embedding speed and fidelity: plain sentence-transformers vs Hallway's encoder, and the cache.

On the same ``n`` generated profiles (:func:`matching.datasets.make_conference`), in one run:

- profiles per second of plain ``SentenceTransformer(path).encode(texts)`` (the bundled
  all-MiniLM-L6-v2, its defaults) and of :class:`matching.embeddings.SentenceTransformerEncoder`
  (the production default, and the float ONNX variant for reference); the runs are interleaved, so a
  change in machine load hits each alike, and each figure is the median of ``--repeats`` runs
  after one untimed warm-up (model load and the one-off ONNX build are reported apart);
- Spearman rank agreement of the pairwise similarities of sampled pairs against plain, on pairs
  of non-blank profiles (blank profiles get the neutral vector by design, so all pairs are shown
  too);
- a cached run into an empty directory, then a re-run from a new encoder instance on the same
  directory (it must embed nothing) and a re-run after 1% of the profiles changed.

Usage::

    python -m benchmarks.embedding [--n 10000] [--repeats 3] [--seed 0]
    python -m benchmarks.embedding --smoke
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from scipy.stats import spearmanr

from benchmarks.common import machine_line, markdown_table, median_time
from matching.datasets import make_conference
from matching.embeddings import (
    CachedEncoder,
    SentenceTransformerEncoder,
    is_blank_profile,
    profile_text,
)

SPEEDUP_TARGET = 2.0
SPEARMAN_TARGET = 0.98


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000, help="profiles to embed")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per encoder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pairs", type=int, default=200_000, help="pairs for Spearman")
    parser.add_argument("--smoke", action="store_true", help="200 profiles, one run")
    args = parser.parse_args(argv)
    if args.smoke:
        args.n, args.repeats, args.pairs = 200, 1, 20_000

    import torch
    from sentence_transformers import SentenceTransformer

    print(machine_line(), f"torch threads: {torch.get_num_threads()}", flush=True)
    texts = [profile_text(a) for a in make_conference(args.n, random_state=args.seed)]
    blank = np.array([is_blank_profile(t) for t in texts])
    print(
        f"{len(texts)} profiles: {len(set(texts))} distinct, {int(blank.sum())} blank, "
        f"median {int(np.median([len(t) for t in texts]))} characters",
        flush=True,
    )
    warm = texts[:64]

    start = time.perf_counter()
    plain = SentenceTransformer(SentenceTransformerEncoder().path, device="cpu")
    plain.encode(warm)
    plain_load = time.perf_counter() - start

    encoders: dict[str, SentenceTransformerEncoder] = {
        "production": SentenceTransformerEncoder(),
        "onnx (float)": SentenceTransformerEncoder(backend="onnx"),
    }
    loads: dict[str, float] = {}
    for name, encoder in encoders.items():
        start = time.perf_counter()
        encoder.encode([*warm, ""])  # builds the ONNX export and the neutral vector if needed
        loads[name] = time.perf_counter() - start

    calls: dict[str, Any] = {"plain": lambda: plain.encode(texts)}
    for name, encoder in encoders.items():
        calls[name] = lambda encoder=encoder: encoder.encode(texts)
    runs: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    vectors: dict[str, np.ndarray] = {}
    for repeat in range(args.repeats):
        for name, call in calls.items():
            # CPU seconds alongside wall time: on a shared machine other jobs' load inflates
            # wall time of whichever run it hits, but barely moves the work a run does.
            cpu_start = time.process_time()
            timing = median_time(call, repeats=1)
            cpu[name].append(time.process_time() - cpu_start)
            runs[name].extend(timing.runs)
            vectors[name] = np.asarray(timing.result, dtype=np.float32)
            print(
                f"run {repeat + 1}/{args.repeats} {name}: {len(texts) / timing.median:.0f} "
                "profiles/s",
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

    production = encoders["production"]
    print(f"\nproduction encoder: backend {production.backend_!r}, model {production.model_name}")
    print(
        f"load + warm-up (s): plain {plain_load:.1f}, "
        + ", ".join(f"{k} {v:.1f}" for k, v in loads.items())
        + " (includes the one-off ONNX build when the cache was empty)\n"
    )
    rows: list[list[Any]] = []
    for name in calls:
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
    speedup = rate["production"] / rate["plain"]
    cpu_speedup = cpu_rate["production"] / cpu_rate["plain"]
    rho = agreement["production"][0]
    print()
    print(
        markdown_table(
            ["measure", "target", "measured", "met"],
            [
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
