"""Group codes: one notion of company, party and home town for the search and the checks."""

from __future__ import annotations

import numpy as np

from matching import Attendee, Matcher, Round
from matching.checks import check_plan
from matching.codes import codes, hometown_codes, party_codes, round_parties


def test_codes_number_keys_by_first_appearance() -> None:
    assert codes(["b", None, "a", "", "b"]).tolist() == [0, -1, 1, -1, 0]


def test_party_labels_are_stripped_and_home_towns_folded() -> None:
    people = [
        Attendee(id="a", party="team", hometown="New York"),
        Attendee(id="b", party="team ", hometown=" new  york"),
        Attendee(id="c", party="  ", hometown=""),
    ]
    assert party_codes(people).tolist() == [0, 0, -1]
    assert hometown_codes(people).tolist() == [0, 0, -1]


def test_team_and_team_space_are_one_party_to_solver_and_checker() -> None:
    # a and b came together, typed with and without a trailing blank. They are each other's
    # only kindred pair, so a solver that saw two parties would seat them together.
    people = [
        Attendee(id="a", party="team"),
        Attendee(id="b", party="team "),
        Attendee(id="c"),
        Attendee(id="d"),
    ]
    x = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    lunch = Round(name="L", table_size=2)
    together = {"L": [["a", "b"], ["c", "d"]]}
    assert check_plan(people, [lunch], together, x).rounds[0].party_pairs == 1

    seating = Matcher(random_state=0, report=False).fit(people, [lunch], embeddings=x).seating_
    table_of = {m: t for t, members in enumerate(seating["L"]) for m in members}
    assert table_of["a"] != table_of["b"]
    assert check_plan(people, [lunch], seating, x).rounds[0].party_pairs == 0


def test_a_dinner_party_of_two_may_sit_together() -> None:
    party, counted = round_parties(np.array([0, 0, 1, 1, 1, -1]), dinner=True)
    assert party.tolist() == [0, 0, 1, 1, 1, -1]
    assert counted.tolist() == [-1, -1, 1, 1, 1, -1]
    _, at_lunch = round_parties(np.array([0, 0, 1, 1, 1, -1]), dinner=False)
    assert at_lunch.tolist() == [0, 0, 1, 1, 1, -1]
    # Only one of party 0 is seated in this round: no party here.
    alone, _ = round_parties(np.array([0, 0, 2, 2]), dinner=False, seated=np.array([0, 2, 3]))
    assert alone.tolist() == [-1, -1, 2, 2]
