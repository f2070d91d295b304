"""Reads that shape a page: each decides its page's queries in one place."""

from __future__ import annotations

import datetime
import re

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from emr.history import HistoryEntry, history_entries, history_entries_by_object, newest_first
from emr.models import AccessLog, Coverage, Patient

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")


def _parse_date(token: str) -> datetime.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(token, fmt).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    return None


def _active_coverages() -> Prefetch:
    return Prefetch(
        "coverages",
        queryset=Coverage.objects.filter(active=True).select_related("payer").order_by("priority"),
        to_attr="active_coverages",
    )


def patient_list_for_search(
    *, query: str = "", include_inactive: bool = False
) -> QuerySet[Patient]:
    """Patients matching every word of `query`: a name prefix, a date of birth, an MRN or a phone.

    Each kind of word is answered by an index (see Patient.Meta.indexes), so the search
    stays fast on a large patient table without any Postgres extension.
    """
    patients = Patient.objects.alias(
        last_lower=Lower("last_name"),
        first_lower=Lower("first_name"),
        preferred_lower=Lower("preferred_name"),
    )
    if not include_inactive:
        patients = patients.filter(active=True)
    tokens = query.replace(",", " ").split()
    if re.fullmatch(r"[\d\s()+.-]+", query) and _parse_date(query.strip()) is None:
        tokens = [query]  # a phone number typed with spaces, e.g. "(312) 555-7788"
    for token in tokens:
        born = _parse_date(token)
        digits = re.sub(r"[\s()+.-]", "", token)
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]  # a leading US country code
        if born is not None:
            patients = patients.filter(date_of_birth=born)
        elif digits.isdigit():
            condition = Q(phone_mobile_digits__startswith=digits) | Q(
                phone_home_digits__startswith=digits
            )
            if len(digits) <= 12:
                condition |= Q(mrn=digits.zfill(8))
            patients = patients.filter(condition)
        else:
            word = token.lower()
            patients = patients.filter(
                Q(last_lower__startswith=word)
                | Q(first_lower__startswith=word)
                | Q(preferred_lower__startswith=word)
            )
    return patients.prefetch_related(_active_coverages()).order_by(
        "last_name", "first_name", "date_of_birth", "pk"
    )


def patient_get_for_chart(*, pk: int) -> Patient:
    return Patient.objects.prefetch_related(
        Prefetch(
            "coverages",
            queryset=Coverage.objects.select_related("payer").order_by(
                "-active", "priority", "-effective_from"
            ),
        )
    ).get(pk=pk)


def patient_history_entries(*, patient: Patient) -> list[HistoryEntry]:
    """Field-level changes to a patient's demographics and coverage, newest first."""
    ordering = ("history_date", "history_id")
    patient_records = (
        Patient.history.filter(id=patient.pk).select_related("history_user").order_by(*ordering)
    )
    coverage_records = (
        Coverage.history.filter(patient_id=patient.pk)
        .select_related("history_user", "payer")
        .order_by(*ordering)
    )
    return newest_first(
        history_entries(patient_records, lambda record: "Demographics")
        + history_entries_by_object(
            coverage_records,
            lambda record: f"Coverage: {record.payer} ({record.get_priority_display()})",
        )
    )


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def access_log_list_for_audit(
    *,
    user_id: int | None = None,
    patient_id: int | None = None,
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AccessLog]:
    entries = AccessLog.objects.select_related("user", "patient")
    if user_id:
        entries = entries.filter(user_id=user_id)
    if patient_id:
        entries = entries.filter(patient_id=patient_id)
    if action:
        entries = entries.filter(action=action)
    # Whole days in the clinic's zone, as ranges the timestamp index can answer.
    if date_from:
        entries = entries.filter(timestamp__gte=_start_of_day(date_from))
    if date_to:
        entries = entries.filter(timestamp__lt=_start_of_day(date_to + datetime.timedelta(days=1)))
    return entries.order_by("-timestamp", "-pk")
