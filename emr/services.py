"""Writes that carry a rule, for the clinic core: patients, coverage, documents."""

from __future__ import annotations

import datetime
import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from emr.models import (
    Coverage,
    Document,
    DocumentStatus,
    Patient,
)

PATIENT_FIELDS = [
    "first_name",
    "middle_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "sex_at_birth",
    "gender_identity",
    "phone_mobile",
    "phone_home",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "preferred_language",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "deceased_date",
]

COVERAGE_FIELDS = [
    "payer",
    "member_id",
    "group_number",
    "priority",
    "relationship",
    "subscriber_first_name",
    "subscriber_last_name",
    "subscriber_date_of_birth",
    "subscriber_sex",
    "effective_from",
    "effective_to",
]


def _next_mrn() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('emr_patient_mrn_seq')")
        (number,) = cursor.fetchone()
    return f"{number:08d}"


def patient_possible_duplicates(
    *, first_name: str, last_name: str, date_of_birth: datetime.date, exclude_pk: int | None = None
):
    """Patients with the same name and date of birth: registration warns before creating one."""
    matches = Patient.objects.filter(
        first_name__iexact=first_name.strip(),
        last_name__iexact=last_name.strip(),
        date_of_birth=date_of_birth,
    )
    if exclude_pk is not None:
        matches = matches.exclude(pk=exclude_pk)
    return matches


def _validate_patient_dates(data: dict) -> None:
    today = timezone.localdate()
    born = data.get("date_of_birth")
    if born and born > today:
        raise ValidationError({"date_of_birth": "Date of birth cannot be in the future."})
    if born and born < datetime.date(today.year - 130, 1, 1):
        raise ValidationError({"date_of_birth": "Please check the year of birth."})
    deceased = data.get("deceased_date")
    if deceased and born and deceased < born:
        raise ValidationError({"deceased_date": "Date of death cannot be before date of birth."})
    if deceased and deceased > today:
        raise ValidationError({"deceased_date": "Date of death cannot be in the future."})


@transaction.atomic
def patient_register(*, data: dict, allow_duplicate: bool = False) -> Patient:
    """Create a patient with a new MRN; refuses a likely duplicate unless confirmed."""
    _validate_patient_dates(data)
    if (
        not allow_duplicate
        and patient_possible_duplicates(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
        ).exists()
    ):
        raise ValidationError(
            "A patient with this name and date of birth already exists. "
            "Open the existing chart, or confirm that this is a different person.",
            code="possible_duplicate",
        )
    patient = Patient(
        mrn=_next_mrn(), **{field: data.get(field, "") for field in PATIENT_FIELDS if field in data}
    )
    patient.full_clean()
    patient.save()
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, data: dict) -> Patient:
    _validate_patient_dates(data)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = False
    for field in PATIENT_FIELDS:
        if field in data and getattr(patient, field) != data[field]:
            setattr(patient, field, data[field])
            changed = True
    if changed:
        patient.full_clean()
        patient.save()
    return patient


@transaction.atomic
def patient_set_active(*, patient: Patient, active: bool, reason: str = "") -> Patient:
    """Deactivate (never delete) or reactivate a patient."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not active and not reason.strip():
        raise ValidationError({"reason": "Say why the patient is being deactivated."})
    if patient.active == active:
        return patient
    patient.active = active
    patient.deactivation_reason = "" if active else reason.strip()
    patient.save(update_fields=["active", "deactivation_reason", "updated_at"])
    return patient


def _validate_coverage(coverage: Coverage) -> None:
    if coverage.effective_to and coverage.effective_to < coverage.effective_from:
        raise ValidationError({"effective_to": "Coverage cannot end before it starts."})
    if not coverage.patient_is_subscriber:
        missing = {
            field: "Required when the patient is not the subscriber."
            for field in [
                "subscriber_first_name",
                "subscriber_last_name",
                "subscriber_date_of_birth",
            ]
            if not getattr(coverage, field)
        }
        if missing:
            raise ValidationError(missing)
    clash = Coverage.objects.filter(
        patient_id=coverage.patient_id, priority=coverage.priority, active=True
    ).exclude(pk=coverage.pk)
    if coverage.active and clash.exists():
        raise ValidationError(
            {
                "priority": f"This patient already has an active {coverage.get_priority_display().lower()} "
                "coverage. End or inactivate it first."
            }
        )


@transaction.atomic
def coverage_add(*, patient: Patient, data: dict) -> Coverage:
    # Lock the patient so that two clerks cannot add two primaries at once.
    Patient.objects.select_for_update().get(pk=patient.pk)
    coverage = Coverage(
        patient=patient, **{field: data[field] for field in COVERAGE_FIELDS if field in data}
    )
    if coverage.patient_is_subscriber:
        coverage.subscriber_first_name = coverage.subscriber_last_name = ""
        coverage.subscriber_date_of_birth = None
        coverage.subscriber_sex = ""
    _validate_coverage(coverage)
    coverage.full_clean()
    coverage.save()
    return coverage


@transaction.atomic
def coverage_update(*, coverage: Coverage, data: dict) -> Coverage:
    Patient.objects.select_for_update().get(pk=coverage.patient_id)
    coverage = Coverage.objects.select_for_update().get(pk=coverage.pk)
    for field in COVERAGE_FIELDS:
        if field in data:
            setattr(coverage, field, data[field])
    if coverage.patient_is_subscriber:
        coverage.subscriber_first_name = coverage.subscriber_last_name = ""
        coverage.subscriber_date_of_birth = None
        coverage.subscriber_sex = ""
    _validate_coverage(coverage)
    coverage.full_clean()
    coverage.save()
    return coverage


@transaction.atomic
def coverage_inactivate(*, coverage: Coverage, end_date: datetime.date | None = None) -> Coverage:
    """End a coverage; it stays on record for past claims."""
    coverage = Coverage.objects.select_for_update().get(pk=coverage.pk)
    end_date = end_date or timezone.localdate()
    if end_date < coverage.effective_from:
        raise ValidationError({"end_date": "Coverage cannot end before it starts."})
    coverage.active = False
    if coverage.effective_to is None or coverage.effective_to > end_date:
        coverage.effective_to = end_date
    coverage.save(update_fields=["active", "effective_to", "updated_at"])
    return coverage


@transaction.atomic
def document_request(
    *, kind: str, owner, title: str, requested_by, patient: Patient | None = None
) -> Document:
    """Create a pending document and queue its rendering once this transaction commits."""
    from django.contrib.contenttypes.models import ContentType

    from emr.tasks import render_document

    document = Document.objects.create(
        kind=kind,
        owner_type=ContentType.objects.get_for_model(owner),
        owner_id=owner.pk,
        patient=patient,
        title=title,
        requested_by=requested_by,
    )
    transaction.on_commit(lambda: render_document.delay(document.pk))
    return document


def document_render(*, document_id: int) -> Document:
    """Render a pending document, save its file and mark it ready. Safe to run twice."""
    from emr.documents import renderer_for

    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status == DocumentStatus.READY:
            return document
        document.attempts += 1
        document.save(update_fields=["attempts", "updated_at"])
    # Rendering happens outside the row lock: it can take a while and may fail.
    rendered = renderer_for(document.kind)(document)
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status == DocumentStatus.READY:
            return document  # another run finished first; keep its file
        document.file.save(rendered.filename, ContentFile(rendered.content), save=False)
        document.content_type = rendered.content_type
        document.size = len(rendered.content)
        document.checksum = hashlib.sha256(rendered.content).hexdigest()
        document.status = DocumentStatus.READY
        document.error = ""
        document.completed_at = timezone.now()
        document.save()
    return document


@transaction.atomic
def document_mark_failed(*, document_id: int, error: str) -> Document:
    document = Document.objects.select_for_update().get(pk=document_id)
    if document.status != DocumentStatus.READY:
        document.status = DocumentStatus.FAILED
        document.error = error[:2000]
        document.save(update_fields=["status", "error", "updated_at"])
    return document
