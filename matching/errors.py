"""The library's one exception of its own: a hard rule that cannot hold for the input."""

from __future__ import annotations

from matching.rule_names import RuleName

__all__ = ["Infeasible"]


class Infeasible(ValueError):
    """A hard rule cannot hold for this input.

    Attributes:
        rule: The rule that breaks: capacity, pins, keep-apart or keep-together.

    Example:
        >>> raise Infeasible(RuleName.CAPACITY, "Round 'Dinner': 20 opted in, the tables hold 18.")
        Traceback (most recent call last):
        ...
        matching.errors.Infeasible: capacity: Round 'Dinner': 20 opted in, the tables hold 18.
    """

    def __init__(self, rule: RuleName, message: str) -> None:
        self.rule = rule
        super().__init__(f"{rule.value}: {message}")
