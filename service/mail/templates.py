"""The three messages' subjects and texts: Jinja2 templates run in a sandbox.

A template sees only the fields listed in `FIELDS` (the conference's, the attendee's own and
their private link and meals); never anyone's e-mail, dietary or accessibility notes. An
unknown field, or a template that does not render, is found when it is saved: it is rendered
against a sample with every field, under `StrictUndefined`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

__all__ = ["DEFAULTS", "FIELDS", "Template", "TemplateProblem", "check", "render"]

_ENV: Final = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_LINE_BREAKS: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Template:
    subject: str
    body: str


FIELDS: Final[Mapping[str, str]] = {
    "conference.name": "the conference's name",
    "conference.location": "where it takes place",
    "conference.starts_on": "first day (YYYY-MM-DD), or empty",
    "conference.ends_on": "last day, or empty",
    "attendee.name": "the attendee's name",
    "attendee.affiliation": "their company or organisation",
    "attendee.external_id": "their registration id",
    "link": "their private page",
    "meals": "their seats once published: each with name, when, place, table",
}

DEFAULTS: Final[Mapping[str, Template]] = {
    "invitation": Template(
        subject="{{ conference.name }}: tell us what you want to talk about",
        body=(
            "Hello {{ attendee.name }},\n\n"
            "At {{ conference.name }} we seat people who have something to talk about at the "
            "same lunch tables. Tell us in a sentence or two what you would like to talk "
            "about, on your private page:\n\n"
            "{{ link }}\n\n"
            "The link is yours alone; please do not forward it.\n"
        ),
    ),
    "tables_ready": Template(
        subject="{{ conference.name }}: your tables are ready",
        body=(
            "Hello {{ attendee.name }},\n\n"
            "Here is where you sit at {{ conference.name }}:\n\n"
            "{% for meal in meals %}- {{ meal.name }}, {{ meal.when }}, {{ meal.place }}: "
            "table {{ meal.table }}\n{% endfor %}\n"
            "Who else is at your table, and why: {{ link }}\n"
        ),
    ),
    "table_changed": Template(
        subject="{{ conference.name }}: your table changed",
        body=(
            "Hello {{ attendee.name }},\n\n"
            "We had to re-plan some tables. Here is where you sit now:\n\n"
            "{% for meal in meals %}- {{ meal.name }}, {{ meal.when }}, {{ meal.place }}: "
            "table {{ meal.table }}\n{% endfor %}\n"
            "Your tablemates and more: {{ link }}\n"
        ),
    ),
}

SAMPLE: Final[Mapping[str, Any]] = {
    "conference": {
        "name": "PyConf",
        "location": "Berlin",
        "starts_on": "2027-04-14",
        "ends_on": "2027-04-16",
    },
    "attendee": {"name": "Ada Lovelace", "affiliation": "AE Ltd", "external_id": "T-1"},
    "link": "https://hallway.example/me/sample",
    "meals": [
        {"name": "Lunch 1", "when": "Wednesday 14 April 2027, 12:30", "place": "Hall B", "table": 3}
    ],
}


class TemplateProblem(ValueError):
    """A template that does not render; ``field`` is "subject" or "body"."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def _render_one(field: str, source: str, context: Mapping[str, Any]) -> str:
    try:
        return _ENV.from_string(source).render(context)
    except TemplateError as exc:
        raise TemplateProblem(field, f"The {field} does not render: {exc.message or exc}") from None
    except Exception as exc:  # a filter given the wrong kind of value, a huge range…
        raise TemplateProblem(field, f"The {field} does not render: {exc}") from None


def render(template: Template, context: Mapping[str, Any]) -> Template:
    """The subject (one line: line breaks become spaces) and text for ``context``.

    Raises:
        TemplateProblem: naming the part that does not render.
    """
    subject = _render_one("subject", template.subject, context)
    body = _render_one("body", template.body, context)
    return Template(subject=" ".join(_LINE_BREAKS.sub(" ", subject).split()), body=body)


def check(template: Template) -> None:
    """Render ``template`` against a sample with every field, with and without meals.

    Raises:
        TemplateProblem: an unknown field, a syntax error, or anything else that fails.
    """
    render(template, SAMPLE)
    render(template, {**SAMPLE, "meals": []})
