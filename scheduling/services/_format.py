"""Times as the messages to the front desk show them (clinic time)."""

from __future__ import annotations

import datetime

from django.utils import timezone


def fmt_time(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def fmt_when(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%a %m/%d/%Y %H:%M}"


def aware(moment: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment
