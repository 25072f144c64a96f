"""Who counts as a co-worker: spellings of one employer share a key, free-mail gives none."""

from __future__ import annotations

import pytest

from matching.affiliation import affiliation_key


@pytest.mark.parametrize(
    "spellings",
    [
        ["ACME", "Acme Inc.", "acme, inc", "ACME Incorporated", "Acme Corp."],
        ["Polar Data", "Polar Data GmbH", "Polar Data GmbH & Co. KG", "polar-data"],
        ["Trixloop", "trixloop, s.r.l", "Trixloop S.R.L.", "TRIXLOOP SRL"],
        ["Nordlys", "Nordlys A/S", "Nordlys ApS"],
        ["Kraków Soft", "Krakow Soft Sp. z o.o.", "KRAKÓW SOFT sp. z o.o"],
        ["Müller & Söhne", "Müller & Söhne AG", "MÜLLER & SÖHNE"],
        ["SAP", "S.A.P. SE", "sap se"],
    ],
)
def test_spellings_of_one_employer_share_a_key(spellings: list[str]) -> None:
    keys = {affiliation_key(s) for s in spellings}
    assert len(keys) == 1 and None not in keys, keys


def test_company_domain_stands_in_for_a_missing_affiliation() -> None:
    assert affiliation_key("", "ann@polardata.io") == affiliation_key("Polar Data GmbH")
    assert affiliation_key("", "bob@mail.acme.co.uk") == affiliation_key("ACME Ltd")
    # An affiliation, when given, wins over the domain.
    assert affiliation_key("Trixloop", "ann@polardata.io") == affiliation_key("Trixloop")


@pytest.mark.parametrize(
    "email", ["ann@gmail.com", "bob@proton.me", "x@users.noreply.github.com", "", "no-at"]
)
def test_free_mail_and_no_mail_give_no_key(email: str) -> None:
    assert affiliation_key("", email) is None


@pytest.mark.parametrize(
    "answer", ["n/a", "None", "self-employed", "Freelance", "-", "Student", "  "]
)
def test_answers_that_name_no_employer(answer: str) -> None:
    assert affiliation_key(answer, "someone@gmail.com") is None


def test_different_employers_stay_apart() -> None:
    names = ["Johnson & Johnson", "Johnson", "Procter & Gamble", "AB InBev", "E.ON", "Eon Data"]
    keys = [affiliation_key(n) for n in names]
    assert len(set(keys)) == len(names), keys
