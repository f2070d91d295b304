"""A visit: starting the encounter, vitals, the note, signing, addenda."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from charting.models import (
    POSSIBLE,
    Addendum,
    ClinicalNote,
    Encounter,
    EncounterDiagnosis,
    EncounterStatus,
    NoteTemplate,
    ProcedureLine,
    TemperatureUnit,
    Vitals,
)
from charting.services.guards import (
    check_own,
    lock_encounter,
    lock_open_encounter,
)
from emr.models import Patient, Provider, User
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_set_status

NOTE_SECTIONS = ("subjective", "objective", "assessment", "plan")


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
    encounter = lock_open_encounter(encounter.pk)
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
    encounter = lock_open_encounter(encounter.pk)
    check_own(encounter, by, "write this note")
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
    encounter = lock_open_encounter(encounter.pk)
    check_own(encounter, by, "write this note")
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


# --- Signing and addenda --------------------------------------------------------------------


@transaction.atomic
def encounter_sign(
    *, encounter: Encounter, by: User | None, now: datetime.datetime | None = None
) -> Encounter:
    """Sign: the encounter and everything in it are final; the appointment is completed."""
    now = now or timezone.now()
    encounter = lock_encounter(encounter.pk)
    if encounter.is_signed:
        raise ValidationError("This encounter is already signed.", code="signed")
    check_own(encounter, by, "sign this encounter")
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
    encounter = lock_encounter(encounter.pk)
    if not encounter.is_signed:
        raise ValidationError(
            "The note is not signed yet: edit it directly instead of adding an addendum.",
            code="not_signed",
        )
    check_own(encounter, by, "add an addendum to this note")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the addendum before signing it."})
    addendum = Addendum(encounter=encounter, author=by, text=text, signed_at=now or timezone.now())
    addendum._history_user = by
    addendum.save()
    return addendum
