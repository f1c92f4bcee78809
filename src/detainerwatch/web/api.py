"""The JSON API under /api/v1, declared once: the same declarations validate requests and
produce the OpenAPI document, so what the document promises is what the server checks.

Aggregates only. Bad parameters get 400 (or 404 for an unknown resource) with a JSON error
naming the parameter; the database is opened read-only and every query is parameterised.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from .. import __version__


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    type: str = "string"  # string | integer | boolean | date
    location: str = "query"  # query | path
    required: bool = False
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 200
    pattern: str | None = None
    default: Any = None

    def schema(self) -> dict:
        if self.type == "date":
            out: dict = {"type": "string", "format": "date", "pattern": "^(19|20)[0-9]{2}-"}
        elif self.type == "integer":
            out = {"type": "integer"}
            if self.minimum is not None:
                out["minimum"] = self.minimum
            if self.maximum is not None:
                out["maximum"] = self.maximum
        elif self.type == "boolean":
            out = {"type": "boolean"}
        else:
            out = {"type": "string", "maxLength": self.max_length}
            if self.location == "path":
                out["minLength"] = 1
            # NUL is refused (400); the document says so, so valid requests are never refused.
            out["pattern"] = self.pattern or "^[^\u0000]*$"
        if self.enum:
            out["enum"] = list(self.enum)
        if self.default is not None:
            out["default"] = self.default
        return out


class ParamError(Exception):
    def __init__(self, param: str, message: str, status: int = 400):
        self.param, self.message, self.status = param, message, status
        super().__init__(f"{param}: {message}")


def parse(param: Param, raw: str | None):
    if raw is None or raw == "":
        if param.required:
            raise ParamError(param.name, "is required")
        return param.default
    if param.type == "integer":
        try:
            value = int(raw)
        except ValueError:
            raise ParamError(param.name, f"expected a whole number, got {raw[:40]!r}") from None
        if param.minimum is not None and value < param.minimum:
            raise ParamError(param.name, f"must be >= {param.minimum}")
        if param.maximum is not None and value > param.maximum:
            raise ParamError(param.name, f"must be <= {param.maximum}")
        return value
    if param.type == "boolean":
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise ParamError(param.name, "expected true or false")
    if param.type == "date":
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise ParamError(param.name, f"expected a date YYYY-MM-DD, got {raw[:40]!r}") from None
        if not 1900 <= day.year <= 2100:
            raise ParamError(param.name, "expected a year between 1900 and 2100")
        return day
    if len(raw) > param.max_length:
        raise ParamError(param.name, f"longer than {param.max_length} characters")
    if param.pattern and not re.fullmatch(param.pattern.strip("^$"), raw):
        raise ParamError(
            param.name, f"does not match {param.pattern}", 404 if param.location == "path" else 400
        )
    if "\x00" in raw:
        raise ParamError(param.name, "contains a NUL character")
    if param.enum and raw not in param.enum:
        raise ParamError(param.name, f"expected one of {', '.join(param.enum)}")
    return raw


@dataclass
class Endpoint:
    path: str
    summary: str
    handler: Callable  # handler(con, **params) -> JSON-able; raise ParamError(..., 404)
    params: list[Param] = field(default_factory=list)
    tag: str = "data"

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


LIMIT = Param("limit", "Rows to return.", "integer", minimum=1, maximum=1000, default=50)
OFFSET = Param("offset", "Rows to skip.", "integer", minimum=0, maximum=10_000_000, default=0)


def _state_codes() -> tuple[str, ...]:
    import us

    states = us.states.STATES_AND_TERRITORIES + [us.states.DC]
    return tuple(sorted({s.abbr for s in states} | {s.fips for s in states if s.fips}))


STATE = Param(
    "state", "USPS code (e.g. PA) or 2-digit state FIPS.", max_length=2, enum=_state_codes()
)


def openapi(endpoints: list[Endpoint]) -> dict:
    paths: dict = {}
    for ep in endpoints:
        parameters = [
            {
                "name": p.name,
                "in": p.location,
                "required": p.required or p.location == "path",
                "description": p.description,
                "schema": p.schema(),
            }
            for p in ep.params
        ]
        paths.setdefault("/api/v1" + ep.path, {})["get"] = {
            "operationId": ep.operation_id,
            "summary": ep.summary,
            "tags": [ep.tag],
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "Aggregates as JSON.",
                    "content": {"application/json": {"schema": {}}},
                },
                "400": {
                    "description": "A parameter is invalid; the error names it.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "404": {
                    "description": "No such resource.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "detainerwatch API",
            "version": __version__,
            "description": "Aggregated ICE detainer records by jurisdiction and facility, "
            "each traceable to its source files. No person-level rows.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "parameter": {"type": "string"}},
                }
            }
        },
    }
