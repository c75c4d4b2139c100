"""What the service's JSON APIs share: the error they answer with, and strict request bodies."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class ApiError(Exception):
    """A request the API answers with a JSON error."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def json_error(status: int, error: str, message: str) -> Response:
    """`{"error": CODE, "message": TEXT}` with the HTTP status."""
    response = jsonify(error=error, message=message)
    response.status_code = status
    return response


def api_error(error: ApiError) -> Response:
    """An ApiError as JSON (the error handler of every API blueprint)."""
    return json_error(error.status, error.error, error.message)


def json_body(model: type[ModelT]) -> ModelT:
    """The JSON body validated by `model`, or a 400 naming the first problem."""
    try:
        data: Any = request.get_json(silent=True)
    except RecursionError:
        raise ApiError(400, "bad_request", "the body is nested too deeply") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object (Content-Type: application/json)")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise ApiError(400, "bad_request", f"{field}: {first['msg']}") from None
