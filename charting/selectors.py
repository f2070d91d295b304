"""Reads that shape the charting pages; each decides its page's queries in one place."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Length
from django.utils import timezone

from charting.models import (
    Addendum,
    Allergy,
    ChartItemStatus,
    ClinicalNote,
    DiagnosisCode,
    Encounter,
    EncounterDiagnosis,
    EncounterStatus,
    FeeScheduleEntry,
    Medication,
    NoteTemplate,
    Problem,
    ProcedureLine,
    Vitals,
)
from emr.history import HistoryEntry, history_entries_by_object, newest_first
from emr.models import Patient, Provider
from scheduling.availability import day_bounds
from scheduling.models import Appointment, AppointmentStatus

# Codes a family practice uses every day: they come first among equally good matches, so that
# "hypertension" offers I10 before portal or neonatal hypertension.
COMMON_CODES = [
    "I10",
    "E11.9",
    "E11.65",
    "E78.5",
    "E78.2",
    "E66.9",
    "E03.9",
    "J06.9",
    "J02.9",
    "J01.90",
    "J20.9",
    "J45.909",
    "J44.9",
    "N39.0",
    "M54.50",
    "M25.561",
    "R05.9",
    "R51.9",
    "R10.9",
    "R07.9",
    "K21.9",
    "F41.1",
    "F32.A",
    "F41.9",
    "G47.00",
    "G43.909",
    "Z00.00",
    "Z00.01",
    "Z00.129",
    "Z23",
    "Z79.4",
    "Z71.3",
    "L30.9",
    "B34.9",
    "H66.90",
    "R73.03",
    "D64.9",
    "E55.9",
    "I48.91",
    "I25.10",
]

SEARCH_LIMIT = 20
_CODE_TOKEN = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z]?(\.?[0-9A-Za-z]{0,4})?$")
_WORD = re.compile(r"[A-Za-z0-9]+")


def diagnosis_code_search(
    *, query: str, billable_only: bool = False, limit: int = SEARCH_LIMIT
) -> list[DiagnosisCode]:
    """ICD-10-CM codes matching every word of `query` as you type it.

    A word shaped like a code (E11, e11.6, E1165) matches code prefixes, through the
    varchar_pattern_ops index on the dotless code; other words match the start of words of
    the description, through the GIN index on its full-text vector (no extension needed).
    """
    code_prefixes, words = [], []
    for token in query.split():
        if _CODE_TOKEN.match(token) and any(character.isdigit() for character in token):
            code_prefixes.append(token.replace(".", "").upper())
        else:
            words += [word.lower() for word in _WORD.findall(token)]
    if not code_prefixes and not words:
        return []
    codes = DiagnosisCode.objects.all()
    for prefix in code_prefixes:
        codes = codes.filter(code_compact__startswith=prefix)
    if billable_only:
        codes = codes.filter(billable=True)
    # Earlier in COMMON_CODES ranks higher; any other code ranks 0.
    common = Case(
        *[
            When(code=code, then=Value(len(COMMON_CODES) - index))
            for index, code in enumerate(COMMON_CODES)
        ],
        default=Value(0),
        output_field=IntegerField(),
    )
    if words:
        text = SearchQuery(
            " & ".join(f"{word}:*" for word in words), config="english", search_type="raw"
        )
        codes = (
            codes.filter(search_vector=text)
            .annotate(rank=SearchRank(F("search_vector"), text, normalization=2), common=common)
            .order_by("-billable", "-common", "-rank", Length("description"), "code")
        )
    else:
        codes = codes.annotate(common=common).order_by(
            Length("code_compact"), "-common", "-billable", "code"
        )
    return list(codes[:limit])


# --- Encounter page -------------------------------------------------------------------------


def encounter_queryset_for_page() -> QuerySet[Encounter]:
    """Encounters with everything their page shows, in a fixed number of queries."""
    return Encounter.objects.select_related(
        "patient",
        "provider__user",
        "appointment__appointment_type",
        "signed_by",
        "note__template",
    ).prefetch_related(
        Prefetch("vitals", queryset=Vitals.objects.order_by("taken_at", "pk")),
        Prefetch(
            "diagnoses",
            queryset=EncounterDiagnosis.objects.select_related("code").order_by("rank"),
        ),
        Prefetch(
            "procedures",
            queryset=ProcedureLine.objects.select_related("fee_schedule_entry").order_by("pk"),
        ),
        Prefetch(
            "addenda", queryset=Addendum.objects.select_related("author").order_by("signed_at")
        ),
    )


def encounter_get_for_page(*, pk: int) -> Encounter:
    return encounter_queryset_for_page().get(pk=pk)


def note_of(encounter: Encounter) -> ClinicalNote | None:
    try:
        return encounter.note
    except ClinicalNote.DoesNotExist:
        return None


def note_template_list_for_picker() -> QuerySet[NoteTemplate]:
    return NoteTemplate.objects.filter(active=True).order_by("name")


def fee_schedule_list_for_picker() -> QuerySet[FeeScheduleEntry]:
    return FeeScheduleEntry.objects.filter(active=True).order_by("code_system", "code")


def fee_schedule_list_for_page() -> QuerySet[FeeScheduleEntry]:
    return FeeScheduleEntry.objects.order_by("-active", "code_system", "code")


def encounter_list_for_provider_unsigned(*, provider: Provider) -> QuerySet[Encounter]:
    return (
        Encounter.objects.filter(provider=provider, status=EncounterStatus.OPEN)
        .select_related("patient")
        .order_by("date_of_service", "pk")
    )


# --- Patient chart --------------------------------------------------------------------------


def allergy_list_for_banner(*, patient_id: int) -> list[Allergy]:
    return list(
        Allergy.objects.filter(patient_id=patient_id, status=ChartItemStatus.ACTIVE).order_by(
            "-severity", "substance"
        )
    )


def allergy_list_for_patient(*, patient: Patient) -> QuerySet[Allergy]:
    return Allergy.objects.filter(patient=patient).order_by(
        Case(When(status=ChartItemStatus.ACTIVE, then=0), default=1), "substance", "pk"
    )


def problem_list_for_patient(*, patient: Patient, active_only: bool = False) -> QuerySet[Problem]:
    problems = Problem.objects.filter(patient=patient).select_related("code")
    if active_only:
        problems = problems.filter(status=ChartItemStatus.ACTIVE)
    return problems.order_by(
        Case(When(status=ChartItemStatus.ACTIVE, then=0), default=1), "code_id", "pk"
    )


def medication_list_for_patient(
    *, patient: Patient, active_only: bool = False
) -> QuerySet[Medication]:
    medications = Medication.objects.filter(patient=patient)
    if active_only:
        medications = medications.filter(status=ChartItemStatus.ACTIVE)
    return medications.order_by(
        Case(When(status=ChartItemStatus.ACTIVE, then=0), default=1), "name", "pk"
    )


def encounter_list_for_timeline(*, patient: Patient) -> QuerySet[Encounter]:
    """The patient's encounters, newest first, each with its provider and diagnoses."""
    return (
        Encounter.objects.filter(patient=patient)
        .select_related("provider__user")
        .prefetch_related(
            Prefetch(
                "diagnoses",
                queryset=EncounterDiagnosis.objects.select_related("code").order_by("rank"),
            )
        )
        .order_by("-date_of_service", "-pk")
    )


def appointment_list_for_chart_today(*, patient: Patient, provider: Provider) -> list[Appointment]:
    """The provider's appointments with the patient today that can be (or were) charted."""
    today = day_bounds(timezone.localdate())
    return list(
        Appointment.objects.filter(
            patient=patient,
            provider=provider,
            start__gte=today.start,
            start__lt=today.end,
            status__in=[
                AppointmentStatus.ARRIVED,
                AppointmentStatus.IN_ROOM,
                AppointmentStatus.COMPLETED,
            ],
        )
        .select_related("appointment_type", "encounter", "provider")
        .order_by("start")
    )


# --- Vitals trend ---------------------------------------------------------------------------

TREND_POINTS = 24


def vitals_list_for_trend(*, patient: Patient, limit: int = TREND_POINTS) -> list[Vitals]:
    """The latest readings with a blood pressure or a weight, oldest first."""
    readings = list(
        Vitals.objects.filter(encounter__patient=patient)
        .filter(Q(systolic_bp__isnull=False) | Q(weight_kg__isnull=False))
        .order_by("-taken_at", "-pk")[:limit]
    )
    readings.reverse()
    return readings


# --- History --------------------------------------------------------------------------------


def encounter_history_entries(*, encounter: Encounter) -> list[HistoryEntry]:
    """Every recorded change to the encounter, its note, vitals, coding and addenda, newest first."""
    ordering = ("history_date", "history_id")
    sources = [
        (
            Encounter.history.filter(id=encounter.pk),
            lambda record: "Encounter",
        ),
        (
            ClinicalNote.history.filter(encounter_id=encounter.pk),
            lambda record: "Note",
        ),
        (
            Vitals.history.filter(encounter_id=encounter.pk),
            lambda record: f"Vitals {timezone.localtime(record.taken_at):%m/%d/%Y %H:%M}",
        ),
        (
            EncounterDiagnosis.history.filter(encounter_id=encounter.pk),
            lambda record: f"Diagnosis {record.code_id}",
        ),
        (
            ProcedureLine.history.filter(encounter_id=encounter.pk).select_related(
                "fee_schedule_entry"
            ),
            lambda record: f"Procedure {record.fee_schedule_entry.code}",
        ),
        (
            Addendum.history.filter(encounter_id=encounter.pk),
            lambda record: "Addendum",
        ),
    ]
    entries: list[HistoryEntry] = []
    for records, describe in sources:
        records = records.select_related("history_user").order_by(*ordering)
        entries += history_entries_by_object(records, describe)
    return newest_first(entries)
