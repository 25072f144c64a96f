"""The import mapping: which attendee field each column of an export fills, as organizers say it.

One vocabulary for the parser, the API, the command line and the dashboard:

* **Targets** a column can fill: an attendee field (`interests`, `solo`, `dinner`, `party`,
  `hometown`, `languages`, `first_time`, `dietary`, `accessibility`, `affiliation`, `name`,
  `email`, `external_id`, `status`), a part joined into one (`first_name` and `last_name` into
  the name; `order_code` and `position_id` into the id, as pretix splits it), the buyer's name
  and e-mail (`buyer_name`, `buyer_first_name`, `buyer_last_name`, `buyer_email`: used only for
  placeholder rows), `extra` (kept as an extra answer) or `ignore` (dropped).
* **Placeholder kinds**: rows that are not a person yet. `info_requested` is Eventbrite's
  "Info Requested" (per-ticket details not collected), `email_as_name` a name that is an
  e-mail address, `test_entry` a name such as "test" or "asdf", `duplicate_person` the same
  e-mail and name under a second ticket id.
* **Actions** for them: `buyer_name` (take the buyer's name and e-mail), `needs_details`
  (import with status "needs-details": never seated nor shown to anyone until the details
  arrive), `skip`, or `import` as written (only for duplicates, which are real names).

A mapping names columns by their header as the file writes it (a repeated header gets " (2)");
the dashboard and `GET …/import-mapping` show it that way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "ACTIONS_BY_KIND",
    "DEFAULT_ACTIONS",
    "FIELD_TARGETS",
    "TARGETS",
    "TARGET_LABELS",
    "ImportMapping",
    "PlaceholderAction",
    "PlaceholderKind",
    "Target",
    "has_id",
    "has_name",
    "missing",
]

Target = Literal[
    "external_id", "name", "first_name", "last_name", "email", "affiliation", "interests",
    "hometown", "languages", "solo", "party", "dinner", "first_time", "dietary",
    "accessibility", "status", "order_code", "position_id", "buyer_name", "buyer_first_name",
    "buyer_last_name", "buyer_email", "extra", "ignore",
]  # fmt: skip
TARGETS: Final[tuple[str, ...]] = get_args(Target)
# Targets that are attendee fields of their own (the rest are parts, buyer columns or neither).
FIELD_TARGETS: Final = frozenset(TARGETS) - {
    "first_name", "last_name", "order_code", "position_id", "buyer_name", "buyer_first_name",
    "buyer_last_name", "buyer_email", "extra", "ignore",
}  # fmt: skip
# What the dashboard shows in its select for each target.
TARGET_LABELS: Final[dict[str, str]] = {
    "external_id": "id",
    "name": "name",
    "first_name": "given name",
    "last_name": "family name",
    "email": "e-mail",
    "affiliation": "affiliation (company)",
    "interests": "interests (profile)",
    "hometown": "home town",
    "languages": "languages",
    "solo": "solo (came alone)",
    "party": "party (came with someone)",
    "dinner": "dinner opt-in",
    "first_time": "first-timer",
    "dietary": "dietary notes",
    "accessibility": "accessibility notes",
    "status": "status",
    "order_code": "order code (id part)",
    "position_id": "position (id part)",
    "buyer_name": "buyer's name",
    "buyer_first_name": "buyer's given name",
    "buyer_last_name": "buyer's family name",
    "buyer_email": "buyer's e-mail",
    "extra": "kept as extra answer",
    "ignore": "dropped",
}

PlaceholderKind = Literal["info_requested", "email_as_name", "test_entry", "duplicate_person"]
PlaceholderAction = Literal["buyer_name", "needs_details", "skip", "import"]
ACTIONS_BY_KIND: Final[dict[str, tuple[str, ...]]] = {
    "info_requested": ("buyer_name", "needs_details", "skip"),
    "email_as_name": ("buyer_name", "needs_details", "skip"),
    "test_entry": ("buyer_name", "needs_details", "skip"),
    "duplicate_person": ("skip", "import"),
}
DEFAULT_ACTIONS: Final[dict[str, str]] = {
    "info_requested": "needs_details",
    "email_as_name": "needs_details",
    "test_entry": "skip",
    "duplicate_person": "skip",
}

Header = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ImportMapping(BaseModel):
    """An organizer's choices for an export: column targets and what to do with placeholders.

    Attributes:
        columns: Header (as the file writes it) -> target. Columns not named are recognised
            from their header.
        placeholders: Placeholder kind -> action; kinds not named get `DEFAULT_ACTIONS`.

    Example:
        >>> ImportMapping.model_validate(
        ...     {"columns": {"Are you attending alone?": "solo"}}
        ... ).action("test_entry")
        'skip'
    """

    model_config = ConfigDict(extra="forbid")

    columns: dict[Header, Target] = Field(default_factory=dict, max_length=1000)
    placeholders: dict[PlaceholderKind, PlaceholderAction] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _allowed_actions(self) -> ImportMapping:
        for kind, action in self.placeholders.items():
            allowed = ACTIONS_BY_KIND[kind]
            if action not in allowed:
                raise ValueError(
                    f"placeholders.{kind}: {action!r} is not an action for this kind; use "
                    + " or ".join(allowed)
                )
        return self

    def action(self, kind: str) -> str:
        """What to do with rows of ``kind``: the organizer's choice or the default."""
        return self.placeholders.get(kind, DEFAULT_ACTIONS[kind])  # type: ignore[call-overload]


def has_id(targets: Iterable[str]) -> bool:
    """Whether columns with these targets give every row an id (pretix: code and position).

    Example:
        >>> has_id(["order_code", "position_id", "name"]), has_id(["order_code", "name"])
        (True, False)
    """
    found = set(targets)
    return "external_id" in found or {"order_code", "position_id"} <= found


def has_name(targets: Iterable[str]) -> bool:
    """Whether columns with these targets give every row a name (whole or in parts).

    Example:
        >>> has_name(["external_id", "last_name"]), has_name(["external_id", "buyer_name"])
        (True, False)
    """
    return bool({"name", "first_name", "last_name"} & set(targets))


def missing(targets: Iterable[str]) -> str | None:
    """What a mapping with these targets lacks to import anyone, in words; None if nothing."""
    found = list(targets)
    if not has_id(found):
        return (
            "no column is mapped to the id (external_id, or order_code with position_id); "
            "every attendee needs one"
        )
    if not has_name(found):
        return (
            "no column is mapped to the name (name, or first_name / last_name); every "
            "attendee needs one"
        )
    return None
