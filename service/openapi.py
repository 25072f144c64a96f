"""The OpenAPI document: every error a route can answer, in one place.

FastAPI documents only the success response and a JSON 422 of its own shape. The service answers
errors as RFC 9457 ``application/problem+json`` (see `service.errors`), so this module adds the
`Problem` schema, the bearer-key security scheme and each route's error responses to the
generated document. The rules are by kind of route, not per route, so a new route is documented
as soon as it exists:

- every ``/v1`` route: 401, 403, 413, 422 and 503, and 404 when its path names something;
- every ``/v1`` route that changes something (POST, PUT, PATCH, DELETE): 409 as well;
- a route that reads ``If-Match``: 412; the plan edit, which requires it: 428;
- a route that takes a body: 400 (a body that cannot be read as JSON, a form or an upload);
- every ``/v1`` POST but the inbound webhooks: the optional ``Idempotency-Key`` header, its
  422 and 409, and ``Idempotent-Replayed`` on success (see `service.idempotency`);
- the attendee page (``/me/...``): its own HTML 404 and 422, plus 413 and 503; its
  303 after a saved form is a redirect without a body.

A response a router documents itself keeps its description; only its content is set here.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from service import idempotency
from service.errors import PROBLEM_BASE, PROBLEM_JSON

SECURITY_SCHEME = "bearerKey"
HTML = "text/html"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
METHODS = WRITE_METHODS | {"get"}
FASTAPI_422 = "Validation Error"
# Routes that refuse to act without If-Match (the others take it as an optional check).
REQUIRES_IF_MATCH = frozenset({("post", "/v1/conferences/{conference_id}/plans/{plan_id}/edits")})

# Status -> what it means for a client; the same words for every route.
API_ERRORS: dict[int, str] = {
    401: "No API key, or one that is unknown or revoked.",
    403: "The key lacks the scope (or admin rights) this needs.",
    404: "The conference, or the thing named in the path, does not exist for this key.",
    413: "The body, upload or batch is larger than its limit (named in `detail`).",
    422: "Invalid input: `errors` names each field by its JSON pointer.",
    503: "The service is busy: try again after `Retry-After` seconds.",
}
WRITE_ERRORS: dict[int, str] = {
    409: "Conflicts with the current state (a duplicate name, a plan that is not ready, ...).",
}
IF_MATCH_ERRORS: dict[int, str] = {
    412: "If-Match does not name the current version: reload and try again.",
}
IF_MATCH_REQUIRED: dict[int, str] = {428: "If-Match is required here and was not sent."}
BODY_ERRORS: dict[int, str] = {
    400: "The body could not be read (not UTF-8 JSON, a form or a file upload).",
}
PAGE_ERRORS: dict[int, str] = {
    404: "The link is unknown or no longer valid (an HTML page).",
    413: API_ERRORS[413],
    503: API_ERRORS[503],
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {"description": "How to authenticate.", "schema": {"type": "string"}}
}


class ProblemError(BaseModel):
    """One problem with one part of the input."""

    model_config = ConfigDict(extra="allow")

    pointer: str = Field(
        default="",
        description="Where the problem is: a JSON pointer like `#/body/name` or `#/query/limit`.",
    )
    detail: str = Field(description="What is wrong there.")


class Problem(BaseModel):
    """An RFC 9457 problem: every error the API answers has this shape."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": f"{PROBLEM_BASE}invalid",
                "title": "Invalid input",
                "status": 422,
                "detail": "1 field(s) failed validation.",
                "instance": "/v1/conferences",
                "errors": [{"pointer": "#/body/slug", "detail": "Field required"}],
            }
        },
    )

    type: str = Field(description=f"Identifies the kind of problem ({PROBLEM_BASE}<slug>).")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, for a person to read.")
    instance: str = Field(description="The path of the request.")
    errors: list[ProblemError] = Field(
        default_factory=list, description="One entry per problem with the input, when known."
    )


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _response(description: str, status: int, content: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": content}
    if status == 503:
        response["headers"] = copy.deepcopy(RETRY_AFTER)
    elif status == 401:
        response["headers"] = copy.deepcopy(WWW_AUTHENTICATE)
    return response


def _takes_if_match(operation: dict[str, Any]) -> bool:
    return any(
        p.get("in") == "header" and str(p.get("name", "")).lower() == "if-match"
        for p in operation.get("parameters", [])
    )


def _takes_body(operation: dict[str, Any]) -> bool:
    return bool(operation.get("requestBody", {}).get("content"))


def _api_errors(method: str, path: str, operation: dict[str, Any]) -> dict[int, str]:
    errors = dict(API_ERRORS)
    if "{" not in path:
        del errors[404]
    if method in WRITE_METHODS:
        errors |= WRITE_ERRORS
    if _takes_if_match(operation):
        errors |= IF_MATCH_ERRORS
    if (method, path) in REQUIRES_IF_MATCH:
        errors |= IF_MATCH_REQUIRED
    if _takes_body(operation):
        errors |= BODY_ERRORS
    return errors


def _document_api_route(method: str, path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in sorted(_api_errors(method, path, operation).items()):
        known = responses.get(str(status), {})
        # A router's own words win; FastAPI's stock 422 text does not.
        words = known.get("description") if known.get("description") != FASTAPI_422 else None
        responses[str(status)] = _response(words or description, status, _problem_content())
    for status, response in responses.items():
        # An error a router documents with words only (the export's 409) is a problem too.
        if status[0] in "45" and not response.get("content"):
            response["content"] = _problem_content()
    operation["responses"] = dict(sorted(responses.items()))
    operation["security"] = [{SECURITY_SCHEME: []}]


def _document_page_route(method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    html = {HTML: {"schema": {"type": "string"}}}
    errors = dict(PAGE_ERRORS)
    if _takes_body(operation):
        errors |= BODY_ERRORS
    for status, description in sorted(errors.items()):
        words = responses.get(str(status), {}).get("description") or description
        content = html if status == 404 else _problem_content()
        responses[str(status)] = _response(words, status, content)
    # Path and query parameters are checked by the framework (problem+json); a saved form
    # with bad fields comes back as the page again (HTML).
    known = responses.get("422", {}).get("description")
    if known == FASTAPI_422:
        known = None
    content = _problem_content() | (html if method in WRITE_METHODS else {})
    responses["422"] = _response(known or API_ERRORS[422], 422, content)
    for status, response in responses.items():
        if status.startswith("3"):
            response.pop("content", None)
            response["headers"] = {
                "Location": {"description": "Where to go next.", "schema": {"type": "string"}}
            }
    operation["responses"] = dict(sorted(responses.items()))


def _unused_validation_schemas(document: dict[str, Any]) -> None:
    # FastAPI's own 422 body is never sent: the error handler answers problem+json.
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        reference = json.dumps(f"#/components/schemas/{name}")
        if not any(reference in json.dumps(v) for k, v in document.items() if k != "components"):
            schemas.pop(name, None)


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Add the problem schema and each route's error responses to an OpenAPI document.

    Example:
        >>> doc = {"paths": {"/v1/x": {"get": {"responses": {"200": {"description": "ok"}}}}}}
        >>> sorted(document_errors(doc)["paths"]["/v1/x"]["get"]["responses"])[:3]
        ['200', '401', '403']
    """
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `hallway keys create --admin`, or one made with an admin key.",
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            if path.startswith("/v1/"):
                _document_api_route(method, path, operation)
                idempotency.document(method, path, operation)
            elif path.startswith("/me/"):
                _document_page_route(method, operation)
    _unused_validation_schemas(document)
    return document


class HallwayAPI(FastAPI):
    """The FastAPI application whose OpenAPI document lists every error a route answers."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = document_errors(super().openapi())
        return self.openapi_schema
