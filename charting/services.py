"""Writes that carry a charting rule: starting an encounter, vitals, the note, coding, signing,
addenda, and the patient's allergies, problems and medications.

Every write to an encounter or one of its parts first locks the encounter row
(`_lock_open_encounter`), so that writes to one encounter are serialized and a signature sees
every change made before it. Postgres refuses changes to signed encounters as well (triggers of
migration 0002); the checks here are there to say so in the clinician's words first.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from charting.models import (
    MAX_DIAGNOSES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    POSSIBLE,
    SIGNED_MARKER,
    Addendum,
    Allergy,
    AllergySeverity,
    ChartItemStatus,
    ClinicalNote,
    CodeSystem,
    DiagnosisCode,
    Encounter,
    EncounterDiagnosis,
    EncounterStatus,
    FeeScheduleEntry,
    Medication,
    NoteTemplate,
    Problem,
    ProcedureLine,
    TemperatureUnit,
    Vitals,
)
from emr.models import Patient, Provider, User
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_set_status

NOTE_SECTIONS = ("subjective", "objective", "assessment", "plan")
SIGNED_MESSAGE = "This encounter is signed and can no longer be changed. Add an addendum instead."


# --- Locks and guards -----------------------------------------------------------------------


def _lock_encounter(encounter_id: int) -> Encounter:
    return Encounter.objects.select_for_update().get(pk=encounter_id)


def _lock_open_encounter(encounter_id: int) -> Encounter:
    encounter = _lock_encounter(encounter_id)
    if encounter.is_signed:
        raise ValidationError(SIGNED_MESSAGE, code="signed")
    return encounter


def is_signed_encounter_error(error: Exception) -> bool:
    return isinstance(error, IntegrityError) and SIGNED_MARKER in str(error)


def _check_own(encounter: Encounter, by: User | None, action: str) -> None:
    if by is None or encounter.provider.user_id != by.pk:
        raise ValidationError(
            f"Only {encounter.provider}, the encounter's provider, can {action}.",
            code="not_own_encounter",
        )


# --- Encounters -----------------------------------------------------------------------------


@transaction.atomic
def encounter_start(
    *,
    provider: Provider,
    by: User | None,
    appointment: Appointment | None = None,
    patient: Patient | None = None,
    chief_complaint: str = "",
    now: datetime.datetime | None = None,
) -> Encounter:
    """Open an encounter for a checked-in appointment (moving it to in room), for a completed
    one (charted late), or for a walk-in.

    One encounter per appointment: starting it again returns the encounter already open.
    """
    now = now or timezone.now()
    if appointment is None and patient is None:
        raise ValueError("encounter_start needs an appointment or a patient")
    if appointment is not None:
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient")
            .get(pk=appointment.pk)
        )
        existing = Encounter.objects.filter(appointment=appointment).first()
        if existing is not None:
            return existing
        if appointment.provider_id != provider.pk:
            raise ValidationError(
                "This appointment is with another provider: only they can start its encounter.",
                code="not_own_appointment",
            )
        if appointment.status == AppointmentStatus.BOOKED:
            raise ValidationError(
                "The patient has not been checked in yet. The front desk checks them in on "
                "arrival; then start the visit.",
                code="not_checked_in",
            )
        # A completed appointment may be charted late (checked out before the note was written).
        if appointment.status not in (
            AppointmentStatus.ARRIVED,
            AppointmentStatus.IN_ROOM,
            AppointmentStatus.COMPLETED,
        ):
            raise ValidationError(
                f"This appointment is {appointment.get_status_display().lower()}: "
                "a visit cannot be started for it.",
                code="appointment_closed",
            )
        if appointment.status == AppointmentStatus.ARRIVED:
            appointment_set_status(
                appointment=appointment, status=AppointmentStatus.IN_ROOM, by=by, now=now
            )
        patient = appointment.patient
        date_of_service = timezone.localtime(appointment.start).date()
        chief_complaint = chief_complaint or appointment.reason
    else:
        date_of_service = timezone.localtime(now).date()
    if not patient.active or patient.deceased_date:
        raise ValidationError(
            f"{patient.full_name}'s record is inactive: reactivate it before charting.",
            code="patient_inactive",
        )
    if not provider.active:
        raise ValidationError(f"{provider} is not an active provider.", code="provider_inactive")
    encounter = Encounter(
        patient=patient,
        provider=provider,
        appointment=appointment,
        date_of_service=date_of_service,
        chief_complaint=chief_complaint.strip()[:200],
    )
    encounter._history_user = by
    encounter.save()
    note = ClinicalNote(encounter=encounter)
    note._history_user = by
    note.save()
    return encounter


# --- Vitals ---------------------------------------------------------------------------------

_POUND_KG = Decimal("0.45359237")
_INCH_CM = Decimal("2.54")
_ONE_DECIMAL = Decimal("0.1")


def _fahrenheit(celsius: Decimal) -> Decimal:
    return (celsius * 9 / 5 + 32).quantize(_ONE_DECIMAL)


def _as_decimal(value, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(f"{label} must be a number.") from None


def _check_range(errors: dict, name: str, value, shown=None, unit: str = "", low=None, high=None):
    """Refuse a reading no living patient can have; say the range in the unit typed."""
    if value is None:
        return
    possible_low, possible_high = POSSIBLE[name]
    if not possible_low <= value <= possible_high:
        label = Vitals._meta.get_field(name).verbose_name.split(" (")[0]
        shown = value if shown is None else shown
        low = possible_low if low is None else low
        high = possible_high if high is None else high
        errors[name] = (
            f"{label[0].upper()}{label[1:]} {shown}{unit} is not physiologically possible "
            f"(expected {low}-{high}{unit}). Check the reading."
        )


@transaction.atomic
def vitals_record(
    *,
    encounter: Encounter,
    by: User | None,
    systolic_bp: int | None = None,
    diastolic_bp: int | None = None,
    pulse: int | None = None,
    respiratory_rate: int | None = None,
    temperature: Decimal | None = None,
    temperature_unit: str = TemperatureUnit.FAHRENHEIT,
    spo2: int | None = None,
    height: Decimal | None = None,
    height_unit: str = "in",
    weight: Decimal | None = None,
    weight_unit: str = "lb",
    pain_score: int | None = None,
    taken_at: datetime.datetime | None = None,
) -> Vitals:
    """Record a set of vitals. Temperature may be °F or °C, height in or cm, weight lb or kg;
    they are stored in °C, cm and kg. Impossible readings are refused, each with its message."""
    encounter = _lock_open_encounter(encounter.pk)
    errors: dict[str, str] = {}
    temperature = _as_decimal(temperature, "Temperature")
    height = _as_decimal(height, "Height")
    weight = _as_decimal(weight, "Weight")

    temperature_c = None
    if temperature is not None:
        if temperature_unit == TemperatureUnit.FAHRENHEIT:
            temperature_c = ((temperature - 32) * 5 / 9).quantize(_ONE_DECIMAL)
            _check_range(
                errors,
                "temperature_c",
                temperature_c,
                shown=temperature,
                unit=" °F",
                low=_fahrenheit(POSSIBLE["temperature_c"][0]),
                high=_fahrenheit(POSSIBLE["temperature_c"][1]),
            )
        elif temperature_unit == TemperatureUnit.CELSIUS:
            temperature_c = temperature.quantize(_ONE_DECIMAL)
            _check_range(errors, "temperature_c", temperature_c, shown=temperature, unit=" °C")
        else:
            errors["temperature_unit"] = "Choose °F or °C."

    height_cm = None
    if height is not None:
        if height_unit == "in":
            height_cm = (height * _INCH_CM).quantize(_ONE_DECIMAL)
            low, high = (bound / _INCH_CM for bound in POSSIBLE["height_cm"])
            _check_range(
                errors,
                "height_cm",
                height_cm,
                shown=height,
                unit=" in",
                low=low.quantize(_ONE_DECIMAL),
                high=high.quantize(_ONE_DECIMAL),
            )
        elif height_unit == "cm":
            height_cm = height.quantize(_ONE_DECIMAL)
            _check_range(errors, "height_cm", height_cm, shown=height, unit=" cm")
        else:
            errors["height_unit"] = "Choose in or cm."

    weight_kg = None
    if weight is not None:
        if weight_unit == "lb":
            weight_kg = (weight * _POUND_KG).quantize(Decimal("0.01"))
            low, high = (bound / _POUND_KG for bound in POSSIBLE["weight_kg"])
            _check_range(
                errors,
                "weight_kg",
                weight_kg,
                shown=weight,
                unit=" lb",
                low=low.quantize(_ONE_DECIMAL),
                high=high.quantize(_ONE_DECIMAL),
            )
        elif weight_unit == "kg":
            weight_kg = weight.quantize(Decimal("0.01"))
            _check_range(errors, "weight_kg", weight_kg, shown=weight, unit=" kg")
        else:
            errors["weight_unit"] = "Choose lb or kg."

    _check_range(errors, "systolic_bp", systolic_bp, unit=" mmHg")
    _check_range(errors, "diastolic_bp", diastolic_bp, unit=" mmHg")
    _check_range(errors, "pulse", pulse, unit="/min")
    _check_range(errors, "respiratory_rate", respiratory_rate, unit="/min")
    _check_range(errors, "spo2", spo2, unit="%")
    _check_range(errors, "pain_score", pain_score)
    if (systolic_bp is None) != (diastolic_bp is None):
        errors.setdefault(
            "diastolic_bp" if diastolic_bp is None else "systolic_bp",
            "Enter both blood pressure numbers (e.g. 120/80).",
        )
    elif (
        systolic_bp is not None
        and "systolic_bp" not in errors
        and "diastolic_bp" not in errors
        and systolic_bp <= diastolic_bp
    ):
        errors["systolic_bp"] = (
            f"Blood pressure {systolic_bp}/{diastolic_bp}: the systolic (top) number must be "
            "higher than the diastolic. Were they swapped?"
        )
    if errors:
        raise ValidationError(errors)
    values = [
        systolic_bp,
        pulse,
        respiratory_rate,
        temperature_c,
        spo2,
        height_cm,
        weight_kg,
        pain_score,
    ]
    if all(value is None for value in values):
        raise ValidationError("Enter at least one vital sign.", code="empty")
    vitals = Vitals(
        encounter=encounter,
        taken_at=taken_at or timezone.now(),
        systolic_bp=systolic_bp,
        diastolic_bp=diastolic_bp,
        pulse=pulse,
        respiratory_rate=respiratory_rate,
        temperature_c=temperature_c,
        spo2=spo2,
        height_cm=height_cm,
        weight_kg=weight_kg,
        pain_score=pain_score,
        recorded_by=by,
    )
    vitals._history_user = by
    vitals.save()
    return vitals


# --- The note -------------------------------------------------------------------------------


def _note_for(encounter: Encounter) -> ClinicalNote:
    note = ClinicalNote.objects.select_for_update().filter(encounter=encounter).first()
    return note or ClinicalNote(encounter=encounter)


@transaction.atomic
def note_save(*, encounter: Encounter, by: User | None, data: dict) -> ClinicalNote:
    """Save what was typed (autosave): any of the four sections and the chief complaint.

    Saves only what changed, so that an idle autosave adds nothing to the history.
    """
    encounter = _lock_open_encounter(encounter.pk)
    _check_own(encounter, by, "write this note")
    if "chief_complaint" in data:
        complaint = (data["chief_complaint"] or "").strip()
        if len(complaint) > 200:
            raise ValidationError(
                {"chief_complaint": "Keep the chief complaint under 200 characters."}
            )
        if complaint != encounter.chief_complaint:
            encounter.chief_complaint = complaint
            encounter._history_user = by
            encounter.save(update_fields=["chief_complaint", "updated_at"])
    note = _note_for(encounter)
    changed = note.pk is None
    for section in NOTE_SECTIONS:
        if (
            section in data
            and data[section] is not None
            and data[section] != getattr(note, section)
        ):
            setattr(note, section, data[section].replace("\r\n", "\n"))
            changed = True
    if changed:
        note._history_user = by
        note.save()
    return note


@transaction.atomic
def note_apply_template(
    *, encounter: Encounter, template: NoteTemplate, by: User | None
) -> ClinicalNote:
    """Fill the note's sections from a clinic template. Sections already typed in are kept."""
    encounter = _lock_open_encounter(encounter.pk)
    _check_own(encounter, by, "write this note")
    if not template.active:
        raise ValidationError(f"The template “{template.name}” is no longer in use.")
    note = _note_for(encounter)
    for section in NOTE_SECTIONS:
        if not getattr(note, section).strip():
            setattr(note, section, getattr(template, section))
    note.template = template
    note._history_user = by
    note.save()
    return note


# --- Diagnoses ------------------------------------------------------------------------------


def normalize_code(text: str) -> str:
    """'e119', 'E11.9 ' and 'E11.9' are all E11.9: upper case, the dot after 3 characters."""
    compact = re.sub(r"[\s.]", "", text).upper()
    return f"{compact[:3]}.{compact[3:]}" if len(compact) > 3 else compact


def diagnosis_code_for(code: str) -> DiagnosisCode:
    """The billable ICD-10-CM code `code`, or a message saying why it cannot be used."""
    normalized = normalize_code(code)
    found = DiagnosisCode.objects.filter(code=normalized).first()
    if found is None:
        raise ValidationError(
            {"code": f"{normalized or 'That'} is not an ICD-10-CM code. Search by code or words."},
            code="unknown_code",
        )
    if not found.billable:
        raise ValidationError(
            {
                "code": f"{found.code} ({found.description}) is a category, not a billable code: "
                "choose one of the more specific codes under it."
            },
            code="not_billable",
        )
    return found


@transaction.atomic
def diagnosis_add(*, encounter: Encounter, code: str, by: User | None) -> EncounterDiagnosis:
    """Attach a billable ICD-10-CM code with the next rank (1..12)."""
    encounter = _lock_open_encounter(encounter.pk)
    _check_own(encounter, by, "code this encounter")
    diagnosis_code = diagnosis_code_for(code)
    current = list(EncounterDiagnosis.objects.filter(encounter=encounter))
    if any(diagnosis.code_id == diagnosis_code.code for diagnosis in current):
        raise ValidationError(
            {"code": f"{diagnosis_code.code} is already on this encounter."}, code="duplicate"
        )
    if len(current) >= MAX_DIAGNOSES:
        raise ValidationError(
            {"code": "An encounter can carry at most 12 diagnoses (the claim's pointers A-L)."},
            code="too_many",
        )
    diagnosis = EncounterDiagnosis(encounter=encounter, code=diagnosis_code, rank=len(current) + 1)
    diagnosis._history_user = by
    diagnosis.save()
    return diagnosis


def _renumber(encounter: Encounter, ordered: list[EncounterDiagnosis], by: User | None) -> None:
    """Give `ordered` the ranks 1..n and move the procedure pointers along with their diagnoses."""
    new_rank = {diagnosis.rank: index for index, diagnosis in enumerate(ordered, start=1)}
    for diagnosis in ordered:
        if diagnosis.rank != new_rank[diagnosis.rank]:
            diagnosis.rank = new_rank[diagnosis.rank]
            diagnosis._history_user = by
            diagnosis.save(update_fields=["rank", "updated_at"])
    for procedure in ProcedureLine.objects.select_for_update().filter(encounter=encounter):
        pointers = [new_rank[rank] for rank in procedure.diagnosis_pointers if rank in new_rank]
        if pointers != procedure.diagnosis_pointers:
            procedure.diagnosis_pointers = pointers
            procedure._history_user = by
            procedure.save(update_fields=["diagnosis_pointers", "updated_at"])


@transaction.atomic
def diagnosis_remove(*, diagnosis: EncounterDiagnosis, by: User | None) -> None:
    """Take a diagnosis off an unsigned encounter; the others close up their ranks."""
    encounter = _lock_open_encounter(diagnosis.encounter_id)
    _check_own(encounter, by, "code this encounter")
    diagnoses = list(
        EncounterDiagnosis.objects.select_for_update().filter(encounter=encounter).order_by("rank")
    )
    target = next((item for item in diagnoses if item.pk == diagnosis.pk), None)
    if target is None:
        return
    for procedure in ProcedureLine.objects.filter(encounter=encounter).select_related(
        "fee_schedule_entry"
    ):
        if procedure.diagnosis_pointers == [target.rank]:
            raise ValidationError(
                f"Procedure {procedure.fee_schedule_entry.code} points only to "
                f"{target.code_id}: point it at another diagnosis first, or remove it.",
                code="still_pointed_to",
            )
    target._history_user = by
    target.delete()
    _renumber(encounter, [item for item in diagnoses if item.pk != target.pk], by)


@transaction.atomic
def diagnosis_rerank(
    *, encounter: Encounter, diagnosis_ids: list[int], by: User | None
) -> list[EncounterDiagnosis]:
    """Put the encounter's diagnoses in the given order (first = primary, pointer A)."""
    encounter = _lock_open_encounter(encounter.pk)
    _check_own(encounter, by, "code this encounter")
    diagnoses = {
        item.pk: item
        for item in EncounterDiagnosis.objects.select_for_update().filter(encounter=encounter)
    }
    if sorted(diagnosis_ids) != sorted(diagnoses):
        raise ValidationError(
            "The diagnoses changed while you were reordering them. Reload and try again."
        )
    ordered = [diagnoses[pk] for pk in diagnosis_ids]
    _renumber(encounter, ordered, by)
    return ordered


@transaction.atomic
def diagnosis_move(
    *, diagnosis: EncounterDiagnosis, direction: str, by: User | None
) -> list[EncounterDiagnosis]:
    """Move one diagnosis up or down one rank."""
    ranked = list(
        EncounterDiagnosis.objects.filter(encounter_id=diagnosis.encounter_id)
        .order_by("rank")
        .values_list("pk", flat=True)
    )
    if diagnosis.pk not in ranked:
        raise ValidationError("That diagnosis is no longer on the encounter.")
    index = ranked.index(diagnosis.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ranked):
        ranked[index], ranked[other] = ranked[other], ranked[index]
    return diagnosis_rerank(encounter=diagnosis.encounter, diagnosis_ids=ranked, by=by)


# --- Procedures -----------------------------------------------------------------------------


def _clean_modifiers(modifiers: list[str]) -> list[str]:
    cleaned = [modifier.strip().upper() for modifier in modifiers if modifier and modifier.strip()]
    if len(cleaned) > MAX_MODIFIERS:
        raise ValidationError({"modifiers": "A procedure takes at most 4 modifiers."})
    for modifier in cleaned:
        if not re.fullmatch(r"[0-9A-Z]{2}", modifier):
            raise ValidationError(
                {"modifiers": f"“{modifier}” is not a modifier: two letters or digits, e.g. 25."}
            )
    if len(set(cleaned)) != len(cleaned):
        raise ValidationError({"modifiers": "Each modifier once."})
    return cleaned


@transaction.atomic
def procedure_add(
    *,
    encounter: Encounter,
    fee_schedule_entry: FeeScheduleEntry,
    by: User | None,
    diagnosis_pointers: list[int],
    units: int = 1,
    modifiers: list[str] | None = None,
) -> ProcedureLine:
    """Add a service from the fee schedule, pointing at 1 to 4 of the encounter's diagnoses."""
    encounter = _lock_open_encounter(encounter.pk)
    _check_own(encounter, by, "code this encounter")
    if not fee_schedule_entry.active:
        raise ValidationError(
            {"fee_schedule_entry": f"{fee_schedule_entry.code} is no longer on the fee schedule."}
        )
    if not 1 <= units <= 99:
        raise ValidationError({"units": "Units are between 1 and 99."})
    cleaned_modifiers = _clean_modifiers(modifiers or [])
    pointers = [int(rank) for rank in diagnosis_pointers if rank not in (None, "")]
    diagnosis_count = EncounterDiagnosis.objects.filter(encounter=encounter).count()
    if diagnosis_count == 0:
        raise ValidationError(
            {"diagnosis_pointers": "Add a diagnosis first: every procedure points to one."}
        )
    if not pointers:
        raise ValidationError(
            {"diagnosis_pointers": "Choose the diagnosis (or up to 4) this procedure was for."}
        )
    if len(pointers) > MAX_POINTERS:
        raise ValidationError({"diagnosis_pointers": "A procedure points to at most 4 diagnoses."})
    if len(set(pointers)) != len(pointers):
        raise ValidationError({"diagnosis_pointers": "Point to each diagnosis once."})
    if any(not 1 <= rank <= diagnosis_count for rank in pointers):
        raise ValidationError(
            {"diagnosis_pointers": f"This encounter has diagnoses 1 to {diagnosis_count} only."}
        )
    procedure = ProcedureLine(
        encounter=encounter,
        fee_schedule_entry=fee_schedule_entry,
        units=units,
        modifiers=cleaned_modifiers,
        diagnosis_pointers=pointers,
    )
    procedure._history_user = by
    procedure.save()
    return procedure


@transaction.atomic
def procedure_remove(*, procedure: ProcedureLine, by: User | None) -> None:
    """Take a procedure off an unsigned encounter."""
    encounter = _lock_open_encounter(procedure.encounter_id)
    _check_own(encounter, by, "code this encounter")
    procedure = ProcedureLine.objects.filter(pk=procedure.pk, encounter=encounter).first()
    if procedure is not None:
        procedure._history_user = by
        procedure.delete()


# --- Signing and addenda --------------------------------------------------------------------


@transaction.atomic
def encounter_sign(
    *, encounter: Encounter, by: User | None, now: datetime.datetime | None = None
) -> Encounter:
    """Sign: the encounter and everything in it are final; the appointment is completed."""
    now = now or timezone.now()
    encounter = _lock_encounter(encounter.pk)
    if encounter.is_signed:
        raise ValidationError("This encounter is already signed.", code="signed")
    _check_own(encounter, by, "sign this encounter")
    note = ClinicalNote.objects.filter(encounter=encounter).first()
    missing = []
    if note is None or not note.assessment.strip():
        missing.append("an assessment")
    if note is None or not note.plan.strip():
        missing.append("a plan")
    diagnosis_count = EncounterDiagnosis.objects.filter(encounter=encounter).count()
    if diagnosis_count == 0:
        missing.append("at least one diagnosis")
    if missing:
        raise ValidationError(
            f"Before signing, the note needs {', '.join(missing[:-1])}"
            f"{' and ' if len(missing) > 1 else ''}{missing[-1]}.",
            code="incomplete",
        )
    for procedure in ProcedureLine.objects.filter(encounter=encounter).select_related(
        "fee_schedule_entry"
    ):
        if not procedure.diagnosis_pointers or max(procedure.diagnosis_pointers) > diagnosis_count:
            raise ValidationError(
                f"Procedure {procedure.fee_schedule_entry.code} points to a diagnosis that is not "
                "on the encounter. Fix its pointers, then sign.",
                code="bad_pointer",
            )
    if encounter.appointment_id is not None:
        appointment = Appointment.objects.select_for_update().get(pk=encounter.appointment_id)
        if appointment.status == AppointmentStatus.ARRIVED:
            appointment = appointment_set_status(
                appointment=appointment, status=AppointmentStatus.IN_ROOM, by=by, now=now
            )
        if appointment.status == AppointmentStatus.IN_ROOM:
            appointment_set_status(
                appointment=appointment, status=AppointmentStatus.COMPLETED, by=by, now=now
            )
    encounter.status = EncounterStatus.SIGNED
    encounter.signed_at = now
    encounter.signed_by = by
    encounter._history_user = by
    encounter.save(update_fields=["status", "signed_at", "signed_by", "updated_at"])
    return encounter


@transaction.atomic
def addendum_add(
    *, encounter: Encounter, by: User | None, text: str, now: datetime.datetime | None = None
) -> Addendum:
    """A correction or late entry on a signed note, signed by its author now."""
    encounter = _lock_encounter(encounter.pk)
    if not encounter.is_signed:
        raise ValidationError(
            "The note is not signed yet: edit it directly instead of adding an addendum.",
            code="not_signed",
        )
    _check_own(encounter, by, "add an addendum to this note")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the addendum before signing it."})
    addendum = Addendum(encounter=encounter, author=by, text=text, signed_at=now or timezone.now())
    addendum._history_user = by
    addendum.save()
    return addendum


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


# --- Fee schedule import --------------------------------------------------------------------

FEE_SCHEDULE_COLUMNS = ["code_system", "code", "description", "price", "active"]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_fee_row(row: dict) -> FeeScheduleEntry:
    code_system = (row.get("code_system") or "CPT").strip().upper()
    if code_system not in CodeSystem.values:
        raise ValidationError(f"code system “{code_system}” is not CPT or HCPCS")
    code = (row.get("code") or "").strip().upper()
    description = (row.get("description") or "").strip()
    if not description:
        raise ValidationError("the description is empty")
    raw_price = (row.get("price") or "").strip().lstrip("$").replace(",", "")
    try:
        price = Decimal(raw_price)
    except InvalidOperation:
        raise ValidationError(f"price “{row.get('price') or ''}” is not an amount") from None
    if not price.is_finite() or price < 0 or price != price.quantize(Decimal("0.01")):
        raise ValidationError(f"price “{raw_price}” must be zero or more, in dollars and cents")
    active_text = (row.get("active") or "yes").strip().lower()
    if active_text not in {"yes", "no", "true", "false", "1", "0", "y", "n"}:
        raise ValidationError(f"active “{active_text}” should be yes or no")
    entry = FeeScheduleEntry(
        code_system=code_system,
        code=code,
        description=description,
        price=price,
        active=active_text in {"yes", "true", "1", "y"},
    )
    entry.clean_fields()
    # The row's own rules (code format, price); whether the code exists is the caller's business.
    for constraint in FeeScheduleEntry._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            constraint.validate(FeeScheduleEntry, entry)
    return entry


@transaction.atomic
def fee_schedule_import(*, csv_text: str, by: User | None) -> ImportResult:
    """Add or update fee schedule entries from CSV (code_system, code, description, price,
    active). All or nothing: with any bad row, nothing is saved and every bad row is reported."""
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    headers = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ["code", "description", "price"] if name not in headers]
    if missing:
        result.errors.append((1, f"missing column(s): {', '.join(missing)}"))
        return result
    reader.fieldnames = headers
    entries: dict[tuple[str, str], tuple[int, FeeScheduleEntry]] = {}
    for line, row in enumerate(reader, start=2):
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        try:
            entry = _parse_fee_row(row)
        except ValidationError as error:
            result.errors.append((line, "; ".join(error.messages)))
            continue
        key = (entry.code_system, entry.code)
        if key in entries:
            result.errors.append((line, f"{entry.code} already appears on line {entries[key][0]}"))
            continue
        entries[key] = (line, entry)
    if not entries and not result.errors:
        result.errors.append((1, "the file has no rows"))
    if result.errors:
        return result
    existing = {
        (entry.code_system, entry.code): entry
        for entry in FeeScheduleEntry.objects.select_for_update().filter(
            code__in=[code for _system, code in entries]
        )
    }
    for key, (_line, entry) in entries.items():
        current = existing.get(key)
        if current is None:
            entry._history_user = by
            entry.save()
            result.created += 1
            continue
        fields = ["description", "price", "active"]
        if any(getattr(current, name) != getattr(entry, name) for name in fields):
            for name in fields:
                setattr(current, name, getattr(entry, name))
            current._history_user = by
            current.save()
            result.updated += 1
    return result
