"""One error body for every API failure: ``{"detail": message, "errors": {field: [messages]}}``.

Enabled with ``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "leaderboard.api.errors.exception_handler"``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


class Refused(exceptions.APIException):
    """A request refused with a message for the participant, the same one the site shows."""

    status_code = 400
    default_code = "refused"
    default_detail = "The request was refused."

    def __init__(self, message: str, *, field: str | None = None, status_code: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        if status_code is not None:
            self.status_code = status_code


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, dict):
        errors: dict[str, list[str]] = {}
        for key, value in detail.items():
            for name, messages in _flatten(value, f"{prefix}.{key}" if prefix else str(key)).items():
                errors.setdefault(name, []).extend(messages)
        return errors
    if isinstance(detail, list | tuple):
        errors = {}
        for item in detail:
            for name, messages in _flatten(item, prefix).items():
                errors.setdefault(name, []).extend(messages)
        return errors
    return {prefix or NON_FIELD: [str(detail)]}


def _summary(errors: dict[str, list[str]]) -> str:
    parts = [
        message if field == NON_FIELD else f"{field}: {message}"
        for field, messages in errors.items()
        for message in messages
    ]
    return " ".join(parts[:5]) or "Invalid input."


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        # Django's own answer would be its HTML error page.
        detail = (
            f"A form field is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)} MB; "
            "send the file as the `file` field and keep the other fields short."
            if isinstance(exc, RequestDataTooBig)
            else f"More than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} form fields."
        )
        status = 413 if isinstance(exc, RequestDataTooBig) else 400
        return Response({"detail": detail, "errors": {}}, status=status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    errors: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = _summary(errors)
    else:
        data = response.data
        detail = str(data.get("detail", "")) if isinstance(data, dict) else str(data)
        if isinstance(exc, Refused) and exc.field:
            errors = {exc.field: [detail]}
    response.data = {"detail": detail, "errors": errors}
    return response
