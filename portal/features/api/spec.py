"""The OpenAPI 3.1 description of /api/v1, made from the code that serves it.

Each view declares its operation with ``@operation(...)`` (summary, query model, answers by
status, token scope); ``description`` walks the app's URL map, takes every ``api.*`` rule with an
operation, and has apispec assemble the document: the path from the rule, the parameters from
the query model, the answers' schemas from the pydantic models the view builds its answers
with (JSON Schema 2020-12, which OpenAPI 3.1 uses as it is).

Why apispec (6.x, kept by the marshmallow-code organisation since 2014) and pydantic 2: apispec
only assembles a document and leaves the app alone, so the portal keeps its own Flask app,
blueprints, ``@permission`` table, error pages, CSRF on forms and one commit per request;
flask-openapi3 wants its own ``OpenAPI`` app object and blueprints, and spectree validates
requests itself with 422 answers of its own, which would change /api/v1/classification's
answers. Pydantic gives the JSON Schema of 3.1 directly, for answers and parameters alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from apispec import APISpec
from flask import Flask, current_app
from pydantic import BaseModel

from portal.features.api.schemas import ProblemDetails

F = TypeVar("F", bound=Callable[..., Any])

JSON = "application/json"
PROBLEM = "application/problem+json"
VERSION = "1.0.0"


@dataclass(frozen=True)
class Answer:
    model: type[BaseModel]
    description: str
    mimetype: str = JSON


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str
    answers: dict[int, Answer]
    query: type[BaseModel] | None = None
    path: dict[str, dict[str, Any]] = field(default_factory=dict)
    scope: str | None = None  # the token's scope; None: no token (public)
    body: type[BaseModel] | None = None  # a JSON request body


def problem(description: str) -> Answer:
    return Answer(ProblemDetails, description, PROBLEM)


#: What every call with a token may be answered besides its own answers.
TOKEN_PROBLEMS = {
    401: problem("No token, or one unknown, expired or revoked"),
    403: problem("The token does not hold this scope or this agency"),
    429: problem("Over the token's requests a minute (Retry-After says when to try again)"),
}


def operation(
    summary: str,
    description: str,
    answers: dict[int, Answer],
    *,
    query: type[BaseModel] | None = None,
    path: dict[str, dict[str, Any]] | None = None,
    scope: str | None = None,
    body: type[BaseModel] | None = None,
) -> Callable[[F], F]:
    """Describe a view's operation (under ``@permission``: ``functools.wraps`` carries it)."""
    if scope is not None:
        answers = {**TOKEN_PROBLEMS, **answers}

    def decorator(view: F) -> F:
        view.api_operation = Operation(  # type: ignore[attr-defined]
            summary, description, answers, query, path or {}, scope, body
        )
        return view

    return decorator


def description() -> dict[str, Any]:
    """The document for this app (made once per app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    made = app.extensions.get("api_description")
    if made is None:
        made = app.extensions["api_description"] = build(app)
    return made


def build(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="Deferral portal API",
        version=VERSION,
        openapi_version="3.1.0",
        info={
            "description": (
                "The portal's API for the systems around it: the size classification "
                "(工信部联企业〔2011〕300号), the 缓缴清单 feed for the tax bureau "
                "(内医保办发〔2022〕19号 五 1), the payment returns the bureau sends back "
                "(三（三）) and an employer's standing for software it authorises. Tokens are "
                "issued by the portal's administrators."
            )
        },
    )
    spec.components.security_scheme(
        "token",
        {"type": "http", "scheme": "bearer", "description": "A token from an administrator"},
    )
    known: set[str] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        op: Operation | None = getattr(app.view_functions[rule.endpoint], "api_operation", None)
        if op is None:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        body = _operation(spec, known, op, rule.endpoint)
        spec.path(path=_path(rule.rule), operations={m.lower(): body for m in methods})
    return spec.to_dict()


def _path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _operation(spec: APISpec, known: set[str], op: Operation, endpoint: str) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, **schema} for name, schema in op.path.items()
    ]
    if op.query is not None:
        parameters += _query_parameters(op.query)
    body: dict[str, Any] = {
        "operationId": endpoint.removeprefix("api."),
        "summary": op.summary,
        "description": op.description,
        "parameters": parameters,
        "responses": {
            str(status): {
                "description": answer.description,
                "content": {answer.mimetype: {"schema": _schema_ref(spec, known, answer.model)}},
            }
            for status, answer in sorted(op.answers.items())
        },
    }
    if op.body is not None:
        body["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": _schema_ref(spec, known, op.body, "validation")}},
        }
    if op.scope is not None:
        body["security"] = [{"token": []}]
        body["x-token-scope"] = op.scope
    return body


def _schema_ref(
    spec: APISpec,
    known: set[str],
    model: type[BaseModel],
    mode: Literal["validation", "serialization"] = "serialization",
) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
    for name, definition in schema.pop("$defs", {}).items():
        _add(spec, known, name, definition)
    _add(spec, known, model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _add(spec: APISpec, known: set[str], name: str, schema: dict[str, Any]) -> None:
    if name not in known:
        known.add(name)
        spec.components.schema(name, schema)


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(mode="validation")
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        prop.pop("title", None)
        prop.pop("default", None)
        text = prop.pop("description", "")
        if "anyOf" in prop:  # X | None: a query parameter is absent, never null
            [prop] = [p for p in prop.pop("anyOf") if p.get("type") != "null"]
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "description": text,
                "schema": prop,
            }
        )
    return parameters
