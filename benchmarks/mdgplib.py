"""MDGPLIB benchmark of the precomputed-mode solver against published reference values.

Runs :class:`matching.precomputed.DiversityGrouping` on every instance at the time limits of
Lai & Hao (2016) (n=120: 3 s, n=240: 20 s, n=480: 120 s, times ``--time-scale``), once per seed,
and prints, per instance, the objective (the median over the seeds), its ratio to the published
reference run and whether it meets the 99.5% target, its ratio to IMS run on this machine ("IMS
here", the median of three IMS runs, and the best of those three), and the same figures for a
naive baseline (random feasible grouping, then first-improvement swaps to a local optimum).

Usage::

    python -m benchmarks.mdgplib [--instances PATTERN] [--time-scale 1.0] [--seed 0]
    python -m benchmarks.mdgplib --seeds 0 1 2 [--jobs 2]
    python benchmarks/mdgplib.py --instances 'RanReal_n120*' --time-scale 0.02
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from matching.precomputed import DiversityGrouping, load_mdgplib

#: Two tiny instances in the MDGPLIB format (not from MDGPLIB), for a smoke run without the data.
SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "matching" / "data" / "mdgplib"


def find_data(start: Path, environ: Mapping[str, str] = os.environ) -> Path | None:
    """``HALLWAY_MDGPLIB_DIR``, else the first ``shared/benchmarks/mdgplib`` above ``start``."""
    if environ.get("HALLWAY_MDGPLIB_DIR"):
        return Path(environ["HALLWAY_MDGPLIB_DIR"])
    for folder in (start, *start.parents):
        candidate = folder / "shared" / "benchmarks" / "mdgplib"
        if candidate.is_dir():
            return candidate
    return None


DATA = find_data(Path(__file__).resolve().parent)
TIME_LIMITS = {120: 3.0, 240: 20.0, 480: 120.0}
TARGET = 99.5


class References(NamedTuple):
    """Reference values of one instance, read from the data set's README."""

    published: float
    #: Median of three IMS runs on this machine at the paper's limits (the bar to beat).
    here: float
    #: Best of those three runs (the stretch).
    best_of_3: float


def reference_values(readme: Path) -> dict[str, References]:
    """Reference values of each instance, read from the two tables in the data set's README.

    The first table gives the published reference run (last column); the second, when present,
    the IMS runs here, whose last two columns are their median ("IMS here") and best. An
    instance missing from the second table gets NaN there.
    """
    name = re.compile(r"^\w+_n\d+_[sd]s_\d+$")
    published: dict[str, float] = {}
    here: dict[str, tuple[float, float]] = {}
    for line in readme.read_text().splitlines():
        cells = [cell.strip().strip("*") for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or not name.match(cells[0]):
            continue
        try:
            values = [float(cell) for cell in cells[4:]]
        except ValueError:
            continue
        if len(values) == 1:
            published[cells[0]] = values[0]
        elif len(values) >= 2:
            here[cells[0]] = (values[-2], values[-1])
    nan = (float("nan"), float("nan"))
    return {key: References(value, *here.get(key, nan)) for key, value in published.items()}


def within_group_sum(D: NDArray[np.float64], labels: NDArray[np.int64]) -> float:
    same = labels[:, None] == labels[None, :]
    return float(np.triu(D * same, 1).sum())


def naive_baseline(
    D: NDArray[np.float64],
    lower: NDArray[np.int64],
    upper: NDArray[np.int64],
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Random feasible grouping improved by first-improvement swaps until none improves.

    Example:
        >>> D = np.array([[0.0, 1, 5], [1, 0, 5], [5, 5, 0]])
        >>> labels = naive_baseline(D, np.array([1, 2]), np.array([1, 2]), np.random.default_rng(0))
        >>> sorted(np.bincount(labels).tolist())
        [1, 2]
    """
    n, m = len(D), len(lower)
    sizes = lower.copy()
    slack = np.repeat(np.arange(m), upper - lower)
    np.add.at(sizes, rng.choice(slack, size=n - int(lower.sum()), replace=False), 1)
    labels = rng.permutation(np.repeat(np.arange(m), sizes))
    gains = np.zeros((n, m))
    for g in range(m):
        gains[:, g] = D[:, labels == g].sum(axis=1)
    rows = np.arange(n)
    tol = 1e-9 * float(np.abs(D).max())
    improved = True
    while improved:
        improved = False
        for i in rng.permutation(n):
            a = labels[i]
            delta = gains[i, labels] - gains[i, a] + gains[:, a] - gains[rows, labels] - 2 * D[i]
            delta[labels == a] = -np.inf
            better = np.flatnonzero(delta > tol)
            if better.size == 0:
                continue
            j = better[0]
            b = labels[j]
            gains[:, a] += D[:, j] - D[:, i]
            gains[:, b] += D[:, i] - D[:, j]
            labels[i], labels[j] = b, a
            improved = True
    return labels


def run_once(path: Path, limit: float, seed: int) -> tuple[float, int]:
    """One solver run on one instance: its objective (checked against the labels) and iterations."""
    D, lower, upper = load_mdgplib(path)
    solver = DiversityGrouping(time_limit=limit, random_state=seed)
    solver.fit(D, lower=lower, upper=upper)
    recomputed = within_group_sum(D, solver.labels_)
    assert abs(recomputed - solver.objective_) <= 1e-6 * abs(recomputed)
    return solver.objective_, solver.n_iter_


def _percent(value: float, reference: float) -> float:
    return 100 * value / reference if reference == reference else float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="*", help="glob on instance names")
    parser.add_argument("--time-scale", type=float, default=1.0, help="factor on time limits")
    parser.add_argument("--seed", type=int, default=0, help="seed of a single run")
    parser.add_argument(
        "--seeds", type=int, nargs="+", help="run each instance once per seed; report the median"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="runs at a time, one process each (default 1)"
    )
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the instances")
    parser.add_argument(
        "--smoke", action="store_true", help="the n=120 instances at 2%% of their time limit"
    )
    args = parser.parse_args(argv)
    seeds: list[int] = args.seeds or [args.seed]
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1; got {args.jobs}")
    if args.smoke:
        args.instances, args.time_scale = "*_n120_*", 0.02
    if args.data is None:
        if not args.smoke:
            raise SystemExit(
                "MDGPLIB data not found: set HALLWAY_MDGPLIB_DIR or give --data "
                "(the shared data sits in shared/benchmarks/mdgplib above the checkout)."
            )
        # A smoke run still runs end to end: on the two sample instances, without references.
        print("MDGPLIB data not found; smoke run on the sample instances (no reference values)")
        args.data, args.instances = SAMPLES, "*"
        nan = float("nan")
        references = {
            path.stem: References(nan, nan, nan) for path in sorted(SAMPLES.glob("*.txt"))
        }
    else:
        references = reference_values(args.data / "README.md")
    names = sorted(
        (name for name in references if fnmatch.fnmatch(name, args.instances)),
        key=lambda name: (int(re.search(r"_n(\d+)_", name).group(1)), name),  # type: ignore[union-attr]
    )
    if not names:
        raise SystemExit(f"No instance matches {args.instances!r}.")

    print(
        f"MDGPLIB, seeds {' '.join(map(str, seeds))} (median of the runs), time scale "
        f"{args.time_scale}, {args.jobs} run(s) at a time, load {os.getloadavg()[0]:.1f}"
    )
    print(
        "% ref: of the published reference run; % here: of IMS run here (median of 3 seeds); "
        "% best3: of the best of those 3 runs"
    )
    header = (
        f"{'instance':<20} {'n':>4} {'m':>3} {'limit s':>7} {'objective':>11} {'reference':>11} "
        f"{'% ref':>7} {'met':>4} {'IMS here':>11} {'% here':>7} {'% best3':>7} {'iters':>8} "
        f"{'baseline':>11} {'% ref':>7}" + ("  runs" if len(seeds) > 1 else "")
    )
    print(header)
    print("-" * len(header))
    limits = {}
    for name in names:
        n = item_count(args.data / f"{name}.txt")
        limits[name] = TIME_LIMITS.get(n, n / 4)
    pool = ProcessPoolExecutor(args.jobs) if args.jobs > 1 else None
    pending: dict[tuple[str, int], Future[tuple[float, int]]] = {}
    if pool is not None:
        for name in names:
            for seed in seeds:
                pending[name, seed] = pool.submit(
                    run_once, args.data / f"{name}.txt", limits[name] * args.time_scale, seed
                )
    ratios, here_ratios, best_ratios, base_ratios = [], [], [], []
    beaten = met = reached = 0
    for name in names:
        D, lower, upper = load_mdgplib(args.data / f"{name}.txt")
        n, m = len(D), len(lower)
        limit = limits[name] * args.time_scale
        runs = [
            pending[name, seed].result()
            if pool is not None
            else run_once(args.data / f"{name}.txt", limit, seed)
            for seed in seeds
        ]
        objective = float(np.median([value for value, _ in runs]))
        iters = int(np.median([count for _, count in runs]))
        ref = references[name]
        ratio = _percent(objective, ref.published)
        here = _percent(objective, ref.here)
        best3 = _percent(objective, ref.best_of_3)
        baseline = naive_baseline(D, lower, upper, np.random.default_rng(seeds[0]))
        base = within_group_sum(D, baseline)
        base_ratio = _percent(base, ref.published)
        ratios.append(ratio)
        here_ratios.append(here)
        best_ratios.append(best3)
        base_ratios.append(base_ratio)
        beaten += objective > ref.published
        met += ratio >= TARGET
        reached += objective >= ref.here
        print(
            f"{name:<20} {n:>4} {m:>3} {limit:>7.2f} {objective:>11.2f} {ref.published:>11.2f} "
            f"{ratio:>7.3f} {'yes' if ratio >= TARGET else 'NO':>4} {ref.here:>11.2f} "
            f"{here:>7.3f} {best3:>7.3f} {iters:>8} {base:>11.2f} {base_ratio:>7.3f}"
            + ("  " + " ".join(f"{value:.2f}" for value, _ in runs) if len(seeds) > 1 else ""),
            flush=True,
        )
    if pool is not None:
        pool.shutdown()
    print("-" * len(header))
    print(
        f"min {min(ratios):.3f}% mean {np.mean(ratios):.3f}% of reference; "
        f"target {TARGET}% met on {met}/{len(names)}; reference beaten on {beaten}/{len(names)}; "
        f"IMS here reached on {reached}/{len(names)} (min {min(here_ratios):.3f}%), "
        f"best of 3 min {min(best_ratios):.3f}%; "
        f"baseline min {min(base_ratios):.3f}% mean {np.mean(base_ratios):.3f}%; "
        f"load {os.getloadavg()[0]:.1f}"
    )


def item_count(path: Path) -> int:
    """The number of items of an instance, read from its first line (the limit depends on it)."""
    with open(path, encoding="ascii") as handle:
        return int(handle.readline().split()[0])


if __name__ == "__main__":
    main()
