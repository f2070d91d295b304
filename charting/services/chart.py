"""The longitudinal chart: allergies, problems, medications (patient-level, never deleted)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from charting.models import (
    Allergy,
    AllergySeverity,
    ChartItemStatus,
    Medication,
    Problem,
)
from charting.services.coding import diagnosis_code_for
from emr.models import Patient, User

# --- The longitudinal chart -----------------------------------------------------------------


def _check_dates(
    *,
    start: datetime.date | None,
    start_field: str,
    end: datetime.date | None = None,
    end_field: str = "",
    message: str = "",
) -> None:
    if start and start > timezone.localdate():
        raise ValidationError({start_field: "That date is in the future."})
    if start and end and end < start:
        raise ValidationError({end_field: message})


def _save_chart_item(item, by: User | None):
    item._history_user = by
    item.full_clean()
    item.save()
    return item


ALLERGY_FIELDS = ["substance", "reaction", "severity", "onset_date"]


@transaction.atomic
def allergy_add(*, patient: Patient, by: User | None, data: dict) -> Allergy:
    Patient.objects.select_for_update(no_key=True).get(pk=patient.pk)
    substance = (data.get("substance") or "").strip()
    if not substance:
        raise ValidationError({"substance": "Name the substance the patient is allergic to."})
    clash = Allergy.objects.filter(
        patient=patient, substance__iexact=substance, status=ChartItemStatus.ACTIVE
    )
    if clash.exists():
        raise ValidationError({"substance": f"{substance} is already on the allergy list."})
    _check_dates(start=data.get("onset_date"), start_field="onset_date")
    allergy = Allergy(
        patient=patient,
        substance=substance,
        reaction=(data.get("reaction") or "").strip(),
        severity=data.get("severity") or AllergySeverity.UNKNOWN,
        onset_date=data.get("onset_date"),
        recorded_by=by,
    )
    return _save_chart_item(allergy, by)


@transaction.atomic
def allergy_update(*, allergy: Allergy, by: User | None, data: dict) -> Allergy:
    """Change an allergy's reaction, severity or status (inactive, entered in error)."""
    allergy = Allergy.objects.select_for_update().get(pk=allergy.pk)
    for name in [*ALLERGY_FIELDS, "status"]:
        if name in data and data[name] is not None:
            setattr(
                allergy, name, data[name].strip() if isinstance(data[name], str) else data[name]
            )
    return _save_chart_item(allergy, by)


@transaction.atomic
def problem_add(*, patient: Patient, by: User | None, data: dict) -> Problem:
    Patient.objects.select_for_update(no_key=True).get(pk=patient.pk)
    code = diagnosis_code_for(data.get("code") or "")
    if Problem.objects.filter(patient=patient, code=code, status=ChartItemStatus.ACTIVE).exists():
        raise ValidationError({"code": f"{code.code} is already on the active problem list."})
    _check_dates(start=data.get("onset_date"), start_field="onset_date")
    problem = Problem(
        patient=patient,
        code=code,
        onset_date=data.get("onset_date"),
        note=(data.get("note") or "").strip(),
        recorded_by=by,
    )
    return _save_chart_item(problem, by)


@transaction.atomic
def problem_update(*, problem: Problem, by: User | None, data: dict) -> Problem:
    """Resolve a problem, mark it entered in error, or edit its note and dates."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    for name in ["status", "onset_date", "resolved_date", "note"]:
        if name in data:
            setattr(problem, name, data[name])
    if problem.status == ChartItemStatus.INACTIVE and problem.resolved_date is None:
        problem.resolved_date = timezone.localdate()
    _check_dates(
        start=problem.onset_date,
        start_field="onset_date",
        end=problem.resolved_date,
        end_field="resolved_date",
        message="A problem cannot resolve before its onset.",
    )
    return _save_chart_item(problem, by)


@transaction.atomic
def medication_add(*, patient: Patient, by: User | None, data: dict) -> Medication:
    Patient.objects.select_for_update(no_key=True).get(pk=patient.pk)
    name = (data.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": "Name the medication."})
    _check_dates(
        start=data.get("start_date"),
        start_field="start_date",
        end=data.get("end_date"),
        end_field="end_date",
        message="A medication cannot end before it starts.",
    )
    medication = Medication(
        patient=patient,
        name=name,
        instructions=(data.get("instructions") or "").strip(),
        start_date=data.get("start_date"),
        end_date=data.get("end_date"),
        status=ChartItemStatus.INACTIVE if data.get("end_date") else ChartItemStatus.ACTIVE,
        recorded_by=by,
    )
    return _save_chart_item(medication, by)


@transaction.atomic
def medication_update(*, medication: Medication, by: User | None, data: dict) -> Medication:
    """Stop a medication, mark it entered in error, or edit its instructions and dates."""
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    for name in ["status", "instructions", "start_date", "end_date"]:
        if name in data:
            setattr(medication, name, data[name])
    if medication.status == ChartItemStatus.INACTIVE and medication.end_date is None:
        medication.end_date = timezone.localdate()
    _check_dates(
        start=medication.start_date,
        start_field="start_date",
        end=medication.end_date,
        end_field="end_date",
        message="A medication cannot end before it starts.",
    )
    return _save_chart_item(medication, by)
