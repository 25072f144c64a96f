"""Engine speed and memory from 1,000 to 100,000 attendees, with the quality figures of each run.

Each size gets a conference from :func:`matching.datasets.make_conference` and precomputed
synthetic embeddings (384-d float32, :func:`matching.datasets.make_embeddings_like`), both
written to disk first. Every run is a fresh subprocess that loads them, fits
:class:`matching.Matcher` once on a small warm-up conference (so compiled kernels are loaded
from numba's cache rather than timed), then times ``fit`` (search and report) on the real one
and reads its own RSS high-water mark (``ru_maxrss``) right after. The quality figures are then
recomputed from the seating by :func:`benchmarks.quality.measure`, outside the timing.

Three lunches of ten and one dinner of six; wall time is the median of three runs at up to
10,000 attendees and a single run above. The engine's time budget (20 s up to 10,000, 300 s
above) is what the issue's targets allow, so a run cut by it has missed the time target.

Usage::

    python -m benchmarks.scale [--sizes 1000 10000 100000] [--seed 0] [--runs N]
    python -m benchmarks.scale --smoke
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.quality import (
    CACHE,
    conference_rounds,
    engine_budget,
    markdown_table,
    measure,
    top_decile_threshold,
    unit,
)
from matching import Matcher
from matching.datasets import make_conference, make_embeddings_like

GIB = 1024**3
TIME_TARGET = {10_000: 20.0, 100_000: 300.0}
MEMORY_TARGET = {100_000: 4 * GIB}


def peak_rss_bytes() -> int:
    """This process's resident-set high-water mark (``ru_maxrss`` is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def current_rss_bytes() -> int:
    """This process's resident set size now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def prepare(n: int, seed: int) -> Path:
    """Write the conference and its embeddings for size ``n`` to the cache; return its stem."""
    stem = CACHE / f"scale-n{n}-seed{seed}"
    if not (stem.with_suffix(".npy").exists() and stem.with_suffix(".pkl").exists()):
        CACHE.mkdir(parents=True, exist_ok=True)
        attendees = make_conference(n, random_state=seed)
        x = make_embeddings_like(attendees, dimension=384, random_state=seed)
        np.save(stem.with_suffix(".npy"), x)
        with stem.with_suffix(".pkl").open("wb") as f:
            pickle.dump(attendees, f)
    return stem


def worker(stem: Path, seed: int, budget: float) -> dict[str, Any]:
    """One measured run inside its own process; returns the figures as a JSON-able dict."""
    with stem.with_suffix(".pkl").open("rb") as f:
        attendees = pickle.load(f)
    x = np.load(stem.with_suffix(".npy"))
    rounds = conference_rounds()
    warm = make_conference(120, random_state=1)
    Matcher(random_state=0, time_budget=10.0, max_iter=2).fit(
        warm, rounds, embeddings=make_embeddings_like(warm, random_state=1)
    )
    before = current_rss_bytes()
    matcher = Matcher(random_state=seed, time_budget=budget)
    start = time.perf_counter()
    matcher.fit(attendees, rounds, embeddings=x)
    seconds = time.perf_counter() - start
    peak = peak_rss_bytes()
    xu = unit(x)
    fig = measure(attendees, rounds, matcher.seating_, xu, top_decile_threshold(xu, seed), seed)
    return {
        "n": len(attendees),
        "seconds": seconds,
        "peak_bytes": peak,
        "before_bytes": before,
        "timed_out": bool(matcher.timed_out_),
        "hard": fig.hard,
        "coworker": fig.coworker,
        "coworker_min": fig.coworker_min,
        "party": fig.party,
        "party_min": fig.party_min,
        "repeated": fig.repeated,
        "solo_spread": fig.solo_spread,
        "lone": fig.lone,
        "kindred_min": min(fig.kindred),
        "kindred_able_min": min(fig.kindred_able),
        "able": fig.able,
        "diversity_min": min(fig.diversity),
    }


def run_once(stem: Path, seed: int, budget: float) -> dict[str, Any]:
    """Run :func:`worker` in a fresh interpreter so each run has its own memory peak."""
    cmd = [sys.executable, "-m", "benchmarks.scale", "--worker", str(stem)]
    cmd += ["--seed", str(seed), "--budget", str(budget)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"Run {cmd} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def exponent(ns: list[int], values: list[float]) -> float:
    """Least-squares slope of log(value) against log(n): value grows like n**slope."""
    slope = np.polyfit(np.log(ns), np.log(values), 1)[0]
    return float(slope)


def _gib(b: float) -> str:
    return f"{b / GIB:.2f}"


def _target_time(n: int) -> str:
    return f"≤ {TIME_TARGET[n]:g}" if n in TIME_TARGET else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=None, help="runs per size (3 up to 10k)")
    parser.add_argument("--smoke", action="store_true", help="500 attendees, one run")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, default=None, help="engine seconds per run")
    args = parser.parse_args(argv)
    if args.worker is not None:
        budget = args.budget if args.budget is not None else 300.0
        print(json.dumps(worker(args.worker, args.seed, budget)))
        return
    sizes = [500] if args.smoke else args.sizes

    print("## Engine speed and memory (synthetic 384-d float32 embeddings)")
    print()
    print(
        f"3 lunches of 10, 1 dinner of 6; seed {args.seed}; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work was running)."
    )
    print()
    runs_rows: list[list[str]] = []
    summary: list[tuple[int, float, float, float]] = []
    for n in sizes:
        stem = prepare(n, args.seed)
        runs = args.runs or (1 if args.smoke or n > 10_000 else 3)
        budget = args.budget or (5.0 if args.smoke else engine_budget(n))
        results = []
        for r in range(runs):
            res = run_once(stem, args.seed + r, budget)
            results.append(res)
            runs_rows.append(
                [
                    f"{n:,}",
                    str(r + 1),
                    f"{res['seconds']:.1f}",
                    f"{budget:g}",
                    "yes" if res["timed_out"] else "no",
                    _gib(res["peak_bytes"]),
                    _gib(res["before_bytes"]),
                    str(res["hard"]),
                    f"{res['coworker']} / {res['coworker_min']}",
                    f"{res['party']} / {res['party_min']}",
                    str(res["repeated"]),
                    str(res["solo_spread"]),
                    str(res["lone"]),
                    f"{res['kindred_min']:.1%} of {res['able']:.1%}",
                    f"{res['kindred_able_min']:.1%}",
                    f"{res['diversity_min']:.3f}",
                ]
            )
            print(f"<!-- {n} run {r + 1}: {res['seconds']:.1f} s -->", file=sys.stderr)
        summary.append(
            (
                n,
                statistics.median(r["seconds"] for r in results),
                max(r["peak_bytes"] for r in results),
                max(r["peak_bytes"] - r["before_bytes"] for r in results),
            )
        )
    header = [
        "n",
        "run",
        "seconds",
        "budget",
        "cut",
        "peak GiB",
        "GiB before fit",
        "hard",
        "co-worker / min",
        "party / min",
        "repeated",
        "solo spread",
        "lone",
        "kindred min (of all / who can have one)",
        "kindred min, of those who can",
        "diversity min",
    ]
    target = [
        "target",
        "",
        "10k ≤ 20, 100k ≤ 300",
        "",
        "no",
        "100k ≤ 4",
        "",
        "0",
        "= min",
        "= min",
        "0",
        "≤ 1",
        "0",
        "",
        "≥ 95%",
        "≥ 0.95",
    ]
    print(markdown_table(header, [target, *runs_rows]))
    print()
    growth_rows = []
    for i, (n, secs, peak, grown) in enumerate(summary):
        ratio_t = ratio_m = ""
        if i:
            prev = summary[i - 1]
            ratio_t = f"x{secs / prev[1]:.1f} for x{n / prev[0]:g} n"
            ratio_m = f"x{peak / prev[2]:.1f}"
        met = ""
        if n in TIME_TARGET:
            met = "met" if secs <= TIME_TARGET[n] else "NOT met"
        if n in MEMORY_TARGET:
            met += ", memory " + ("met" if peak <= MEMORY_TARGET[n] else "NOT met")
        growth_rows.append(
            [
                f"{n:,}",
                f"{secs:.1f}",
                _target_time(n),
                ratio_t,
                _gib(peak),
                _gib(grown),
                ratio_m,
                met,
            ]
        )
    print(
        markdown_table(
            [
                "n",
                "median s",
                "target s",
                "time growth",
                "peak GiB",
                "peak minus RSS before fit, GiB",
                "peak growth",
                "targets",
            ],
            growth_rows,
        )
    )
    if len(summary) >= 2:
        ns = [s[0] for s in summary]
        t_exp = exponent(ns, [s[1] for s in summary])
        m_exp = exponent(ns, [s[2] for s in summary])
        g_exp = exponent(ns, [max(s[3], 1.0) for s in summary])
        print()
        print(
            f"Fitted growth: time ∝ n^{t_exp:.2f}, peak RSS ∝ n^{m_exp:.2f}, "
            f"memory added by fit ∝ n^{g_exp:.2f}."
        )


if __name__ == "__main__":
    main()
