"""`Matcher`: the one-call façade that turns attendees, embeddings and rounds into a plan."""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from matching.objective import Weights
from matching.problem import Problem
from matching.search import Plan, ProgressCallback, solve
from matching.types import Attendee, Constraints, History, Round, Seating

if TYPE_CHECKING:
    from matching.report import Report

__all__ = ["Matcher"]


class Matcher:
    """Seat attendees at lunch tables and dinner groups following product.md's rules.

    Hard rules (everyone eligible seated once per round, capacities, pins, keep-apart,
    keep-together) always hold or `Infeasible` is raised. Soft rules are weighed by ``weights``:
    strangers, new faces every day, solos spread (and never alone among a party at dinner),
    a kindred tablemate for everyone, and tables as mixed as random ones.

    Args:
        random_state: Seed or ``numpy.random.Generator``; the only source of randomness.
        time_budget: A cap in seconds on the search, or None for no limit. The search stops
            by its own rule, counted in work (``max_iter``, sweeps without an improving swap,
            no more repeated pairs than any plan must have), so a seed gives the same plan on
            a fast or a slow machine; only when the cap is reached is the best plan so far
            returned, and ``timed_out_``, ``progress_`` and ``report_.search`` say so.
        max_iter: Sweeps of swap proposals per round (one sweep proposes as many swaps as the
            round seats people, at least 5,000); a round's search ends sooner once a sweep
            makes no improving swap. Also bounds the passes of the joint repeat-removal phase.
        weights: Soft-rule weights; `Weights()` when None.
        kindred_quantile: Pairs at or above this quantile of all pairwise similarities are
            kindred (0.9: the top decile).
        n_neighbours: Kindred candidates kept per attendee.
        report: Whether `fit` and `replan` build ``report_`` (O(n) with a TF-IDF pass over the
            profiles); callers that score the seating themselves can skip it.

    Attributes:
        seating_: Round name -> tables -> attendee ids.
        report_: The plan report (`matching.report.Report`); None when ``report`` is False.
        kindred_threshold_: Similarity at the kindred quantile (estimated from four million
            sampled pairs when there are more than 3,000 attendees).
        repeats_: Pairs that share a table more than once, counting ``history``.
        moved_: After `replan`: already-seated attendee-rounds whose table changed.
        moved_by_round_: The same per round name.
        n_iter_: Swap proposals evaluated.
        timed_out_: Whether ``time_budget`` cut the search short.
        progress_: Share of the search's planned work done (1.0 unless cut short).
        cut_phase_: The phase the budget cut (e.g. ``"removing repeated pairs"``), or None.
        repeats_min_: The fewest repeated pairs any plan has, from table counts and
            ``history`` (the search stops removing repeats there).

    Example:
        >>> import numpy as np
        >>> people = [Attendee(id=f"a{i}", affiliation=f"c{i % 3}") for i in range(12)]
        >>> X = np.random.default_rng(0).normal(size=(12, 8))
        >>> m = Matcher(random_state=0).fit(
        ...     people, [Round(name="Lunch", table_size=4)], embeddings=X)
        >>> [len(t) for t in m.seating_["Lunch"]]
        [4, 4, 4]
    """

    def __init__(
        self,
        *,
        random_state: int | np.random.Generator | None = None,
        time_budget: float | None = 30.0,
        max_iter: int = 50,
        weights: Weights | None = None,
        kindred_quantile: float = 0.9,
        n_neighbours: int = 24,
        report: bool = True,
    ) -> None:
        self.random_state = random_state
        self.time_budget = time_budget
        self.max_iter = max_iter
        self.weights = weights
        self.kindred_quantile = kindred_quantile
        self.n_neighbours = n_neighbours
        self.report = report

    def fit(
        self,
        attendees: Sequence[Attendee],
        rounds: Sequence[Round],
        *,
        embeddings: np.ndarray,
        history: History = (),
        constraints: Constraints | None = None,
        progress: ProgressCallback | None = None,
    ) -> Matcher:
        """Plan every round from scratch.

        Args:
            attendees: Registered attendees; row ``i`` of ``embeddings`` belongs to
                ``attendees[i]``.
            rounds: Rounds in chronological order.
            embeddings: ``(n, d)`` profile embeddings (normalised here if they are not).
            history: Tables of meals already held or published; their pairs count as met.
            constraints: Pins, keep-apart pairs and keep-together sets.
            progress: Called with (fraction done, message) as the work advances.

        Returns:
            self.

        Raises:
            ValueError: Invalid parameters or input.
            Infeasible: A hard rule cannot hold; the message names the rule and why.

        Example:
            >>> import numpy as np
            >>> people = [Attendee(id=str(i), dinner=i < 4) for i in range(8)]
            >>> rounds = [Round(name="L", table_size=4),
            ...           Round(name="D", kind="dinner", table_size=2)]
            >>> m = Matcher(random_state=1).fit(people, rounds, embeddings=np.eye(8))
            >>> sorted(len(t) for t in m.seating_["D"])
            [2, 2]
        """
        return self._run(attendees, rounds, embeddings, history, constraints, progress, None)

    def replan(
        self,
        previous_seating: Seating,
        attendees: Sequence[Attendee],
        rounds: Sequence[Round],
        *,
        embeddings: np.ndarray,
        history: History = (),
        constraints: Constraints | None = None,
        progress: ProgressCallback | None = None,
    ) -> Matcher:
        """Re-plan after changes, keeping already-seated people where they were.

        Cancelled attendees leave their seat free, late registrations fill free or best
        places, and an already-seated person changes table only when a rule forces it (a hard
        rule, a new pin, a table that no longer exists) or when it fixes a rule weighted above
        ``weights.moved`` (co-workers or party members at one table). Rounds missing from
        ``previous_seating`` are planned from scratch.

        Args:
            previous_seating: The plan to stay close to.
            attendees, rounds, embeddings, history, constraints, progress: As in `fit`.

        Returns:
            self, with ``moved_`` and ``moved_by_round_`` set.

        Example:
            >>> import numpy as np
            >>> people = [Attendee(id=str(i)) for i in range(8)]
            >>> X = np.random.default_rng(0).normal(size=(8, 4))
            >>> rounds = [Round(name="L", table_size=4)]
            >>> m = Matcher(random_state=0).fit(people, rounds, embeddings=X)
            >>> late = [*people[1:], Attendee(id="new")]
            >>> _ = m.replan(m.seating_, late, rounds, embeddings=X)
            >>> m.moved_
            0
        """
        return self._run(
            attendees, rounds, embeddings, history, constraints, progress, previous_seating
        )

    def _validate(self) -> tuple[np.random.Generator, Weights]:
        rs = self.random_state
        if rs is not None and not isinstance(rs, np.random.Generator | numbers.Integral):
            raise ValueError(
                "The 'random_state' parameter must be an int, a numpy Generator or None. "
                f"Got {rs!r} instead."
            )
        budget = self.time_budget
        if budget is not None and (
            not isinstance(budget, numbers.Real) or isinstance(budget, bool) or budget <= 0
        ):
            raise ValueError(
                f"The 'time_budget' parameter must be a number > 0 or None. Got {budget!r} instead."
            )
        for name in ("max_iter", "n_neighbours"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"The '{name}' parameter must be an int >= 1. Got {value!r} instead."
                )
        if not isinstance(self.report, bool):
            raise ValueError(f"The 'report' parameter must be a bool. Got {self.report!r} instead.")
        q = self.kindred_quantile
        if not isinstance(q, numbers.Real) or isinstance(q, bool) or not 0.0 < q < 1.0:
            raise ValueError(
                f"The 'kindred_quantile' parameter must be a float in (0, 1). Got {q!r} instead."
            )
        weights = Weights() if self.weights is None else self.weights
        if not isinstance(weights, Weights):
            raise ValueError(
                "The 'weights' parameter must be a Weights instance or None. "
                f"Got {weights!r} instead."
            )
        rng = rs if isinstance(rs, np.random.Generator) else np.random.default_rng(rs)
        return rng, weights

    def _run(
        self,
        attendees: Sequence[Attendee],
        rounds: Sequence[Round],
        embeddings: np.ndarray,
        history: History,
        constraints: Constraints | None,
        progress: ProgressCallback | None,
        previous: Seating | None,
    ) -> Matcher:
        rng, weights = self._validate()
        report = progress or (lambda fraction, message: None)
        report(0.0, "Finding kindred neighbours")
        problem = Problem.build(
            attendees,
            rounds,
            embeddings,
            history=history,
            constraints=constraints,
            kindred_quantile=float(self.kindred_quantile),
            n_neighbours=int(self.n_neighbours),
            previous=previous,
            rng=rng,
        )

        def scaled(fraction: float, message: str) -> None:
            report(0.05 + 0.89 * fraction, message)

        plan: Plan = solve(
            problem,
            weights=weights,
            rng=rng,
            max_iter=int(self.max_iter),
            time_budget=None if self.time_budget is None else float(self.time_budget),
            progress=scaled,
        )
        self.seating_: Seating = plan.tables(problem)
        self.kindred_threshold_: float = problem.threshold
        self.repeats_: int = plan.repeats
        self.n_iter_: int = plan.iterations
        self.timed_out_: bool = plan.timed_out
        self.progress_: float = plan.progress
        self.cut_phase_: str | None = plan.cut_phase
        self.repeats_min_: int = plan.repeats_floor
        self.moved_by_round_: dict[str, int] = dict(plan.moved)
        self.moved_: int = sum(plan.moved.values())
        self.report_: Report | None = None
        if self.report:
            report(0.95, "Writing the report")
            from matching.report import SearchRun  # the report module loads on demand

            self.report_ = dataclasses.replace(
                self._report(
                    attendees, rounds, embeddings, history, constraints, problem.threshold
                ),
                search=SearchRun(
                    cut_short=plan.timed_out,
                    progress=round(plan.progress, 4),
                    phase=plan.cut_phase,
                    iterations=plan.iterations,
                ),
            )
        report(1.0, "Done")
        return self

    def _report(
        self,
        attendees: Sequence[Attendee],
        rounds: Sequence[Round],
        embeddings: np.ndarray,
        history: History,
        constraints: Constraints | None,
        threshold: float,
    ) -> Report:
        # Imported here: the report module is heavier (TF-IDF) and not needed to plan.
        from matching.report import build_report

        return build_report(
            attendees,
            rounds,
            self.seating_,
            np.asarray(embeddings, dtype=np.float32),
            history=history,
            constraints=constraints,
            kindred_threshold=threshold,
        )
