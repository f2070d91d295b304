"""The printable day list: a DayList row owns the PDF that the documents pipeline renders."""

from __future__ import annotations

import datetime

from django.db import transaction

from emr.models import Document, DocumentKind, Provider, User
from emr.services import document_request
from scheduling.models import DayList


@transaction.atomic
def day_list_request(
    *, day: datetime.date, provider: Provider | None, requested_by: User | None
) -> Document:
    """Queue the printable day list of a date (all providers, or one)."""
    day_list = DayList.objects.create(day=day, provider=provider, requested_by=requested_by)
    title = f"Day list {day:%a %m/%d/%Y}" + (f", {provider}" if provider else "")
    return document_request(
        kind=DocumentKind.DAY_LIST, owner=day_list, title=title, requested_by=requested_by
    )
