"""MDGPLIB benchmark of the precomputed-mode solver against published reference values.

Runs :class:`matching.precomputed.DiversityGrouping` on every instance at the time limits of
Lai & Hao (2016) (n=120: 3 s, n=240: 20 s, n=480: 120 s, times ``--time-scale``) and prints, per
instance, the objective, the reference value from the data set's README, the ratio, whether it
meets the 99.5% target, and the same figures for a naive baseline (random feasible grouping, then
first-improvement swaps to a local optimum).

Usage::

    python -m benchmarks.mdgplib [--instances PATTERN] [--time-scale 1.0] [--seed 0]
    python benchmarks/mdgplib.py --instances 'RanReal_n120*' --time-scale 0.02
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
from collections.abc import Mapping
from pathlib import Path

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


def reference_values(readme: Path) -> dict[str, float]:
    """Reference objective of each instance, read from the table in the data set's README."""
    row = re.compile(r"^\|\s*(\w+_n\d+_[sd]s_\d+)\s*\|.*\|\s*([\d.]+)\s*\|\s*$")
    found = {}
    for line in readme.read_text().splitlines():
        match = row.match(line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="*", help="glob on instance names")
    parser.add_argument("--time-scale", type=float, default=1.0, help="factor on time limits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the instances")
    parser.add_argument(
        "--smoke", action="store_true", help="the n=120 instances at 2%% of their time limit"
    )
    args = parser.parse_args(argv)
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
        references = {path.stem: float("nan") for path in sorted(SAMPLES.glob("*.txt"))}
    else:
        references = reference_values(args.data / "README.md")
    names = sorted(
        (name for name in references if fnmatch.fnmatch(name, args.instances)),
        key=lambda name: (int(re.search(r"_n(\d+)_", name).group(1)), name),  # type: ignore[union-attr]
    )
    if not names:
        raise SystemExit(f"No instance matches {args.instances!r}.")

    print(f"MDGPLIB, seed {args.seed}, time scale {args.time_scale}, load {os.getloadavg()[0]:.1f}")
    header = (
        f"{'instance':<20} {'n':>4} {'m':>3} {'limit s':>7} {'objective':>11} {'reference':>11} "
        f"{'% ref':>7} {'met':>4} {'iters':>8} {'baseline':>11} {'% ref':>7}"
    )
    print(header)
    print("-" * len(header))
    ratios, beaten, met, base_ratios = [], 0, 0, []
    for name in names:
        D, lower, upper = load_mdgplib(args.data / f"{name}.txt")
        n, m = len(D), len(lower)
        limit = TIME_LIMITS.get(n, n / 4) * args.time_scale
        solver = DiversityGrouping(time_limit=limit, random_state=args.seed)
        solver.fit(D, lower=lower, upper=upper)
        recomputed = within_group_sum(D, solver.labels_)
        assert abs(recomputed - solver.objective_) <= 1e-6 * abs(recomputed)
        reference = references[name]
        ratio = 100 * solver.objective_ / reference
        baseline = naive_baseline(D, lower, upper, np.random.default_rng(args.seed))
        base = within_group_sum(D, baseline)
        base_ratio = 100 * base / reference
        ratios.append(ratio)
        base_ratios.append(base_ratio)
        beaten += solver.objective_ > reference
        met += ratio >= TARGET
        print(
            f"{name:<20} {n:>4} {m:>3} {limit:>7.2f} {solver.objective_:>11.2f} {reference:>11.2f} "
            f"{ratio:>7.3f} {'yes' if ratio >= TARGET else 'NO':>4} {solver.n_iter_:>8} "
            f"{base:>11.2f} {base_ratio:>7.3f}",
            flush=True,
        )
    print("-" * len(header))
    print(
        f"min {min(ratios):.3f}% mean {np.mean(ratios):.3f}% of reference; "
        f"target {TARGET}% met on {met}/{len(names)}; reference beaten on {beaten}/{len(names)}; "
        f"baseline min {min(base_ratios):.3f}% mean {np.mean(base_ratios):.3f}%; "
        f"load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
