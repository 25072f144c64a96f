"""Phase two: the rounds searched together against repeated pairs.

"New faces every day" is a property of the whole conference, so once the rounds are planned
one by one this phase revisits them together, so the search can trade a repeat in one round for
a fresh pair in another. Up to `DENSE_JOINT_MAX` attendees it is `joint_tabu`; on larger
conferences `joint_sparse` searches each round again against all the others.

`joint_tabu` follows Dotú and Van Hentenryck's tabu search
for the social golfer problem ("Scheduling social golfers locally", CPAIOR 2005): the state is
every round's tables, the conflict is the sum over pairs of ``max(0, meetings - 1)``, a move
swaps two attendees at different tables of one round where at least one of them meets a
tablemate again, a dense pair-meeting count matrix prices a move in O(table size), the tabu
tenure is random, a tabu move is allowed when it beats the best plan (aspiration), and the
search goes back to its best plan and perturbs it when it stops improving. On rounds of up to
``_GREEDY_MAX`` seated attendees it starts from, and after a few fruitless kicks restarts from,
a greedy plan in the manner of Triska and Musliu ("An effective greedy heuristic for the social
golfer problem", 2012): each round seated pair by pair, least new cost first and, among equals,
the pair that keeps the most partners in common for later rounds. When a quarter of the
steps is spent, or the tabu search has stalled, with repeats left on a small conference, a
complete constraint search
(`matching.search.exact`) looks for a seating with none; a seating it finds becomes the best plan if
it costs less. The given plan remains the best one until a plan of strictly lower cost is found.

Hard rules cannot break: swaps keep table sizes (capacities), only the round's seated attendees
take part (dinner opt-in), pinned attendees, keep-together sets and already-seated attendees
(re-planning) never move, and a swap that would seat a keep-apart pair together is never made.
Co-worker and party separation, solo balance and the dinner rules on parties and solos are
priced with their weights next to repeats, so removing repeats does not undo them.
"""

from __future__ import annotations

import time

import numpy as np

from matching.codes import round_parties
from matching.problem import Problem
from matching.search import _joint_kernels as jk
from matching.search import exact
from matching.search.meetings import tables_of
from matching.search.plan import Plan
from matching.search.rounds import TEMP_END, RoundState, seed_from

__all__ = ["DENSE_JOINT_MAX", "joint_sparse", "joint_tabu"]

#: Up to this many attendees the joint phase is the tabu search (`joint_tabu`).
DENSE_JOINT_MAX = 3000
#: Tabu steps per ``max_iter`` unit (the joint phase's share of the iteration bound).
STEPS_PER_ITER = 200
#: Random tabu tenure: this many steps at least, plus up to ``_TENURE_SPAN - 1`` more.
_TENURE_MIN = 10
_TENURE_SPAN = 40
#: Steps without a new best plan before going back to it with a kick.
_MAX_STABLE = 1500
#: Pair penalties at local minima: weight step (in repeat weights), cap, plateau bump odds.
_PEN_STEP = 0.25
_PEN_CAP = 12
_BUMP_ODDS = 0.03
#: Greedy plans (Triska and Musliu): kicks without a new best before a run is given up for a
#: fresh greedy plan, whether the search starts from one, and which pairs the greedy seats
#: first among equally good ones (1: most partners left in common, -1: fewest).
_RESTART_KICKS = 3
_GREEDY_START = True
_GREEDY_SIGN = 1
#: Greedy plans only up to this many seated attendees a round (their cost grows with the cube).
_GREEDY_MAX = 400
#: The constraint search runs once, when this share of the steps is spent with repeats left or
#: the tabu search has made `_EXACT_STALL` steps without fewer repeats, and tries at most
#: `_EXACT_NODES` values (about a second). Not sooner: the tabu search often still gets there,
#: and its plans keep more common ground than a constructed one. Both are counted in work, not
#: seconds, so when it runs does not depend on the machine.
_EXACT_AFTER = 0.25
_EXACT_STALL = 10 * _MAX_STABLE
_EXACT_NODES = 50_000_000
#: Swap evaluations per step at most (large conferences look at a random share of conflicts).
_MAX_EVALS = 20_000
#: Passes of `joint_sparse` over the rounds.
_SPARSE_PASSES = 3
#: Rough operations per chunk between clock checks.
_CHUNK_WORK = 4_000_000


def joint_tabu(
    problem: Problem,
    table_of: list[np.ndarray],
    fixed_of: list[np.ndarray],
    w: np.ndarray,
    rng: np.random.Generator,
    max_iter: int,
    deadline: float | None,
    plan: Plan,
    floor: int = 0,
) -> float:
    """Remove repeated pairs by a tabu search over all rounds; ``table_of`` is updated in place.

    Args:
        problem: The compiled problem.
        table_of: Per round (aligned with ``problem.rounds``): table of each member; replaced
            by the best plan found.
        fixed_of: Per round: members who may not move (pins, keep-together sets).
        w: Soft-rule weights in the kernels' order (`Weights.as_array`).
        rng: The only source of randomness.
        max_iter: Bounds the work: at most ``max_iter * STEPS_PER_ITER`` tabu steps. With no
            ``deadline`` cut the result depends only on ``rng``.
        deadline: ``time.perf_counter()`` value to stop at, or None.
        plan: Its ``iterations`` grow by the steps made; ``plan.stop()`` on a cut.
        floor: The fewest repeated pairs any plan has: the search stops once it gets there.

    Returns:
        The share of the planned steps done: 1.0 unless ``deadline`` cut the search.

    Example:
        >>> from matching.objective import Weights
        >>> from matching.problem import Problem
        >>> from matching.types import Attendee, Round
        >>> people = [Attendee(id=str(i)) for i in range(9)]
        >>> rounds = [Round(name=f"L{r}", table_size=3) for r in range(4)]
        >>> p = Problem.build(people, rounds, np.ones((9, 2)), rng=np.random.default_rng(0))
        >>> seats = [np.arange(9) % 3 for _ in rounds]  # the same tables every day
        >>> fixed = [np.zeros(9, dtype=bool) for _ in rounds]
        >>> plan = Plan(table_of=seats)
        >>> joint_tabu(p, seats, fixed, Weights().as_array(), np.random.default_rng(0), 100,
        ...            None, plan)  # the whole search: no deadline cut it
        1.0
        >>> seen = set()
        >>> for r in range(4):
        ...     for t in range(3):
        ...         group = np.flatnonzero(seats[r] == t).tolist()
        ...         seen |= {(a, b) for a in group for b in group if a < b}
        >>> len(seen)  # 4 rounds x 3 tables x 3 pairs, all different: a resolvable design
        36
    """
    state = _State(problem, table_of, fixed_of, w)
    done = 1.0
    if state.stats[jk.S_REPEATS] > floor:
        done = state.run(max_iter * STEPS_PER_ITER, rng, deadline, plan, floor)
    for r, spec in enumerate(problem.rounds):
        table_of[r] = state.result[r, spec.members].copy()
    return done


class _State:
    """All rounds' seating as dense arrays plus the tabu search's memory."""

    def __init__(
        self,
        problem: Problem,
        table_of: list[np.ndarray],
        fixed_of: list[np.ndarray],
        w: np.ndarray,
    ) -> None:
        n = len(problem.ids)
        n_rounds = len(problem.rounds)
        self.problem = problem
        self.fixed_of = fixed_of
        self.w = np.ascontiguousarray(w, dtype=np.float64)
        self.assign = np.full((n_rounds, n), -1, dtype=np.int64)
        self.fixed = np.zeros((n_rounds, n), dtype=np.bool_)
        self.party_pen = np.full((n_rounds, n), -1, dtype=np.int64)
        self.party = np.full((n_rounds, n), -1, dtype=np.int64)
        self.dinner = np.zeros(n_rounds, dtype=np.bool_)
        n_tables = 1
        max_cap = 1
        for r, spec in enumerate(problem.rounds):
            members = spec.members
            self.assign[r, members] = table_of[r]
            # Already-seated attendees stay put when re-planning, as in the round search.
            self.fixed[r, members] = fixed_of[r] | (spec.anchor >= 0)
            dinner = spec.round.kind == "dinner"
            self.dinner[r] = dinner
            party, counted = round_parties(problem.party[members].astype(np.int64), dinner=dinner)
            self.party[r, members] = party
            self.party_pen[r, members] = counted
            n_tables = max(n_tables, spec.capacities.shape[0])
            if members.size:
                max_cap = max(max_cap, int(np.bincount(table_of[r]).max(initial=1)))
        self.comp = problem.company.astype(np.int64)
        self.solo = problem.solo.astype(np.int64)
        # Rounds where a swap can change co-worker, party or keep-apart pairs.
        self.busy = np.zeros(n_rounds, dtype=np.bool_)
        for r, spec in enumerate(problem.rounds):
            comp = self.comp[spec.members]
            shared = np.unique(comp[comp >= 0]).size < int((comp >= 0).sum())
            self.busy[r] = shared or bool((self.party_pen[r] >= 0).any()) or spec.apart.size > 0
        if problem.keep_apart.size:
            self.apart = np.zeros((n, n), dtype=np.int8)
            self.apart[problem.keep_apart[:, 0], problem.keep_apart[:, 1]] = 1
            self.apart[problem.keep_apart[:, 1], problem.keep_apart[:, 0]] = 1
        else:
            self.apart = np.zeros((1, 1), dtype=np.int8)
        self.M = np.zeros((n, n), dtype=np.int32)
        for table in problem.history:
            self.M[np.ix_(table, table)] += 1
        np.fill_diagonal(self.M, 0)
        self.members = np.full((n_rounds, n_tables, max_cap), -1, dtype=np.int64)
        self.size = np.zeros((n_rounds, n_tables), dtype=np.int64)
        self.pos = np.zeros((n_rounds, n), dtype=np.int64)
        self.conf = np.zeros((n_rounds, n), dtype=np.int32)
        self.solo_cnt = np.zeros((n_rounds, n_tables), dtype=np.int64)
        self.party_cnt = np.zeros((n_rounds, n_tables), dtype=np.int64)
        jk.load(
            self.assign, self.members, self.size, self.pos, self.conf, self.solo_cnt,
            self.party_cnt, self.solo, self.party,
        )  # fmt: skip
        jk.add_meetings(self.M, self.assign, self.members, self.size, 1)
        repeats = jk.count_conflicts(self.M, self.assign, self.members, self.size, self.conf)
        self.knows = np.zeros((n_rounds, n, n_tables), dtype=np.int32)
        jk.count_knows(self.M, self.assign, self.knows)
        self.best = self.assign.copy()
        self.pen = np.zeros((n, n), dtype=np.int32)
        self.pair_tabu = np.zeros(min(n_rounds * n * n, 1 << 22), dtype=np.int64)
        self.stats = np.zeros(jk.N_STATS, dtype=np.float64)
        self.stats[jk.S_REPEATS] = repeats
        self.stats[jk.S_BEST_REPEATS] = repeats
        self.conference = jk.Conference(
            self.w, self.dinner, self.busy, self.fixed, self.comp, self.party_pen, self.party,
            self.solo, self.apart,
        )  # fmt: skip
        self.tables = jk.JointTables(
            self.assign, self.members, self.size, self.pos, self.conf, self.knows, self.solo_cnt,
            self.party_cnt, self.M,
        )  # fmt: skip
        cost = self.cost()
        self.stats[jk.S_COST] = cost
        self.stats[jk.S_BEST_COST] = cost
        self.stats[jk.S_RUN_COST] = cost
        self.run_best = self.assign.copy()
        self.result = self.assign
        self.memory = jk.TabuMemory(
            self.best, self.run_best, self.stats, self.pair_tabu, self.pen
        )  # fmt: skip
        seated = max(int(self.size.sum(axis=1).max(initial=1)), 1)
        per_step = min(seated * seated, _MAX_EVALS) * max(int(self.size.max(initial=1)), 1)
        self.chunk = int(np.clip(_CHUNK_WORK // max(per_step, 1), 20, 5_000))

    def cost(self) -> float:
        """The weighted objective of the current plan, from scratch."""
        return float(jk.plan_cost(self.conference, self.tables))

    def greedy(self) -> bool:
        """Whether rounds are small enough for greedy plans."""
        return int(self.size.sum(axis=1).max(initial=0)) <= _GREEDY_MAX

    def greedy_start(self, rng: np.random.Generator) -> None:
        """Continue from a fresh greedy plan; the given plan stays the best so far."""
        jk.greedy_start(
            int(rng.integers(2**31 - 1)), self.M, self.assign, self.fixed, self.size, self.comp,
            self.party_pen, self.apart, self.w, _GREEDY_SIGN,
        )  # fmt: skip
        self._reload()

    def exact_start(self, deadline: float | None) -> None:
        """Continue from a constraint-search plan without repeats, if one is found in budget."""
        seats = [self.best[r, spec.members] for r, spec in enumerate(self.problem.rounds)]
        found = exact.repeat_free(
            self.problem, seats, self.fixed_of, max_nodes=_EXACT_NODES, deadline=deadline
        )
        if found is None:
            return
        jk.add_meetings(self.M, self.assign, self.members, self.size, -1)
        for r, spec in enumerate(self.problem.rounds):
            self.assign[r, spec.members] = found[r]
        self._reload(meetings=True)

    def _reload(self, *, meetings: bool = False) -> None:
        """Rebuild the derived arrays after ``assign`` changed; keep the plan if it is best."""
        jk.load(
            self.assign, self.members, self.size, self.pos, self.conf, self.solo_cnt,
            self.party_cnt, self.solo, self.party,
        )  # fmt: skip
        if meetings:
            jk.add_meetings(self.M, self.assign, self.members, self.size, 1)
        repeats = jk.count_conflicts(self.M, self.assign, self.members, self.size, self.conf)
        jk.count_knows(self.M, self.assign, self.knows)
        cost = self.cost()
        self.stats[jk.S_REPEATS] = repeats
        self.stats[jk.S_COST] = cost
        self.stats[jk.S_RUN_COST] = cost
        self.run_best[:, :] = self.assign
        if cost < self.stats[jk.S_BEST_COST] - 1e-9:
            self.stats[jk.S_BEST_COST] = cost
            self.stats[jk.S_BEST_REPEATS] = repeats
            self.best[:, :] = self.assign

    def run(
        self, steps: int, rng: np.random.Generator, deadline: float | None, plan: Plan, floor: int
    ) -> float:
        """Search until ``steps`` are made or no more than ``floor`` repeats are left; the share
        of ``steps`` made when ``deadline`` cut the search, else 1.0."""
        greedy = self.greedy()
        if greedy and _GREEDY_START:
            self.greedy_start(rng)
        restart_kicks = _RESTART_KICKS if greedy else 0
        done = 0
        left = int(self.stats[jk.S_REPEATS])
        exact_step = int(steps * _EXACT_AFTER)
        exact_tried = len(self.problem.ids) > exact.EXACT_MAX
        cut = False
        # Stalled: no fewer repeats in the best plan for `_EXACT_STALL` steps (its cost may
        # still creep down on the other rules).
        fewest, fewest_at = int(self.stats[jk.S_BEST_REPEATS]), 0
        while done < steps and left > floor:
            if int(self.stats[jk.S_BEST_REPEATS]) < fewest:
                fewest, fewest_at = int(self.stats[jk.S_BEST_REPEATS]), done
            if not exact_tried and (done >= exact_step or done - fewest_at >= _EXACT_STALL):
                exact_tried = True
                self.exact_start(deadline)
                left = int(self.stats[jk.S_REPEATS])
                continue
            n_iter = min(self.chunk, steps - done)
            before = int(self.stats[jk.S_IT])
            settings = jk.TabuSettings(
                _TENURE_MIN, _TENURE_SPAN, _MAX_STABLE, _MAX_EVALS, _PEN_STEP, _PEN_CAP,
                _BUMP_ODDS, restart_kicks, _GREEDY_SIGN,
            )  # fmt: skip
            left = jk.search(
                n_iter, int(rng.integers(2**31 - 1)), self.conference, self.tables, self.memory,
                settings,
            )  # fmt: skip
            made = int(self.stats[jk.S_IT]) - before
            done += n_iter
            plan.iterations += made
            if made < n_iter:
                break  # no repeated pair left, or none that a swap may touch
            if self.stats[jk.S_BEST_REPEATS] <= floor:
                break  # the best plan has no more repeats than any plan must
            if deadline is not None and time.perf_counter() > deadline and done < steps:
                cut = left > floor
                if cut:
                    plan.stop()
                break
        # The best plan may not be the last.
        if self.stats[jk.S_BEST_COST] < self.stats[jk.S_COST] - 1e-9:
            self.result = self.best
        return done / steps if cut else 1.0


def joint_sparse(
    problem: Problem,
    table_of: list[np.ndarray],
    fixed_of: list[np.ndarray],
    anchors: list[np.ndarray],
    w_round: list[np.ndarray],
    rng: np.random.Generator,
    deadline: float | None,
    plan: Plan,
) -> float:
    """Large conferences: each round re-searched against all the others, a few passes.

    Returns:
        The share of the passes done: 1.0 unless ``deadline`` cut them.
    """
    n_rounds = len(problem.rounds)
    for p in range(_SPARSE_PASSES):
        for r, spec in enumerate(problem.rounds):
            if deadline is not None and time.perf_counter() > deadline:
                plan.stop()
                return (p * n_rounds + r) / (_SPARSE_PASSES * n_rounds)
            met = list(problem.history)
            for other in range(n_rounds):
                if other != r:
                    met.extend(t for t in tables_of(problem.rounds[other], table_of[other]))
            state = RoundState(problem, spec, table_of[r], met, anchors[r], fixed_of[r], w_round[r])
            if state.repeats() == 0:
                continue
            m = max(state.table_of.shape[0], 1)
            state.search(20 * m, TEMP_END, TEMP_END, seed_from(rng))
            plan.iterations += 20 * m
            table_of[r] = state.table_of
    return 1.0
