"""Helpers shared by the billing views."""

from django.core.exceptions import ValidationError

from emr.viewhelpers import form_error, paginate

page_of = paginate

__all__ = ["error_text", "form_error", "page_of"]


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)
