"""Services of a visit: start, vitals, the note, coding, signing, addenda."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from charting import services
from charting.models import (
    ClinicalNote,
    Encounter,
    EncounterDiagnosis,
    EncounterStatus,
    ProcedureLine,
    Vitals,
)
from scheduling.models import AppointmentStatus
from tests.charting.factories import (
    AppointmentFactory,
    FeeScheduleEntryFactory,
    NoteTemplateFactory,
)
from tests.factories import PatientFactory, ProviderFactory

pytestmark = pytest.mark.django_db


# --- Starting -------------------------------------------------------------------------------


def test_starting_from_a_checked_in_appointment_moves_it_in_room(clinician):
    appointment = AppointmentFactory(provider=clinician.provider, reason="Cough for a week")

    encounter = services.encounter_start(
        provider=clinician.provider, appointment=appointment, by=clinician
    )

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.IN_ROOM
    assert appointment.roomed_by == clinician
    assert encounter.appointment == appointment
    assert encounter.patient == appointment.patient
    assert encounter.date_of_service == timezone.localtime(appointment.start).date()
    assert encounter.chief_complaint == "Cough for a week"
    assert encounter.status == EncounterStatus.OPEN
    assert ClinicalNote.objects.filter(encounter=encounter).exists()


def test_starting_twice_returns_the_same_encounter(clinician):
    appointment = AppointmentFactory(provider=clinician.provider)

    first = services.encounter_start(
        provider=clinician.provider, appointment=appointment, by=clinician
    )
    second = services.encounter_start(
        provider=clinician.provider, appointment=appointment, by=clinician
    )

    assert first == second
    assert Encounter.objects.filter(appointment=appointment).count() == 1


def test_an_appointment_already_in_room_can_be_started(clinician):
    appointment = AppointmentFactory(provider=clinician.provider, status=AppointmentStatus.IN_ROOM)

    encounter = services.encounter_start(
        provider=clinician.provider, appointment=appointment, by=clinician
    )

    assert encounter.appointment == appointment


def test_a_booked_appointment_must_be_checked_in_first(clinician):
    appointment = AppointmentFactory(provider=clinician.provider, status=AppointmentStatus.BOOKED)

    with pytest.raises(ValidationError, match="not been checked in"):
        services.encounter_start(provider=clinician.provider, appointment=appointment, by=clinician)

    assert not Encounter.objects.exists()


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_a_closed_appointment_cannot_be_started(clinician, status):
    appointment = AppointmentFactory(
        provider=clinician.provider, status=status, cancel_reason="moved away"
    )

    with pytest.raises(ValidationError, match="cannot be started"):
        services.encounter_start(provider=clinician.provider, appointment=appointment, by=clinician)


def test_a_completed_appointment_can_be_charted_late_and_stays_completed(
    clinician, codes, office_visit
):
    appointment = AppointmentFactory(
        provider=clinician.provider, status=AppointmentStatus.COMPLETED
    )

    encounter = services.encounter_start(
        provider=clinician.provider, appointment=appointment, by=clinician
    )
    services.note_save(encounter=encounter, by=clinician, data={"assessment": "a", "plan": "p"})
    services.diagnosis_add(encounter=encounter, code="I10", by=clinician)
    services.encounter_sign(encounter=encounter, by=clinician)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED


def test_only_the_appointments_provider_starts_its_encounter(clinician):
    appointment = AppointmentFactory(provider=ProviderFactory())

    with pytest.raises(ValidationError, match="another provider"):
        services.encounter_start(provider=clinician.provider, appointment=appointment, by=clinician)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED


def test_walk_in_is_dated_today_without_appointment(clinician, patient):
    encounter = services.encounter_start(
        provider=clinician.provider, patient=patient, by=clinician, chief_complaint=" rash "
    )

    assert encounter.appointment is None
    assert encounter.date_of_service == timezone.localdate()
    assert encounter.chief_complaint == "rash"


def test_walk_in_refuses_an_inactive_patient(clinician):
    patient = PatientFactory(active=False, deactivation_reason="moved")

    with pytest.raises(ValidationError, match="inactive"):
        services.encounter_start(provider=clinician.provider, patient=patient, by=clinician)


# --- Vitals ---------------------------------------------------------------------------------


def test_vitals_are_stored_in_metric_with_bmi(encounter, clinician):
    vitals = services.vitals_record(
        encounter=encounter,
        by=clinician,
        systolic_bp=128,
        diastolic_bp=82,
        pulse=72,
        respiratory_rate=14,
        temperature=Decimal("98.6"),
        temperature_unit="F",
        spo2=98,
        height=Decimal("70"),
        height_unit="in",
        weight=Decimal("180"),
        weight_unit="lb",
        pain_score=2,
    )

    vitals.refresh_from_db()
    assert vitals.temperature_c == Decimal("37.0")
    assert vitals.height_cm == Decimal("177.8")
    assert vitals.weight_kg == Decimal("81.65")
    assert vitals.bmi == Decimal("25.8")
    assert vitals.temperature_f == Decimal("98.6")
    assert vitals.weight_lb == Decimal("180.0")
    assert vitals.recorded_by == clinician


def test_celsius_and_kilograms_are_taken_as_typed(encounter, clinician):
    vitals = services.vitals_record(
        encounter=encounter,
        by=clinician,
        temperature=Decimal("38.4"),
        temperature_unit="C",
        weight=Decimal("70"),
        weight_unit="kg",
        height=Decimal("165"),
        height_unit="cm",
    )

    assert vitals.temperature_c == Decimal("38.4")
    assert vitals.flag("temperature_c") == "high"
    assert vitals.bmi == Decimal("25.7")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"systolic_bp": 400, "diastolic_bp": 80},
            "systolic_bp",
            "Systolic BP 400 mmHg is not physiologically possible",
        ),
        ({"systolic_bp": 120, "diastolic_bp": 10}, "diastolic_bp", "not physiologically possible"),
        ({"systolic_bp": 80, "diastolic_bp": 120}, "systolic_bp", "Were they swapped?"),
        ({"systolic_bp": 120}, "diastolic_bp", "Enter both blood pressure numbers"),
        ({"pulse": 0}, "pulse", "Pulse 0/min is not physiologically possible"),
        ({"respiratory_rate": 200}, "respiratory_rate", "not physiologically possible"),
        ({"temperature": Decimal("986"), "temperature_unit": "F"}, "temperature_c", "986 °F"),
        ({"temperature": Decimal("98.6"), "temperature_unit": "C"}, "temperature_c", "98.6 °C"),
        ({"spo2": 101}, "spo2", "101%"),
        ({"height": Decimal("700"), "height_unit": "in"}, "height_cm", "700 in"),
        ({"weight": Decimal("0"), "weight_unit": "lb"}, "weight_kg", "0 lb"),
        ({"weight": Decimal("5000"), "weight_unit": "kg"}, "weight_kg", "5000 kg"),
        ({"pain_score": 11}, "pain_score", "Pain 11 is not physiologically possible"),
    ],
)
def test_impossible_vitals_are_refused_with_a_clear_message(
    encounter, clinician, values, field, message
):
    with pytest.raises(ValidationError) as caught:
        services.vitals_record(encounter=encounter, by=clinician, **values)

    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    assert not Vitals.objects.exists()


def test_an_empty_vitals_set_is_refused(encounter, clinician):
    with pytest.raises(ValidationError, match="at least one vital sign"):
        services.vitals_record(encounter=encounter, by=clinician)


def test_out_of_normal_values_are_flagged_not_refused(encounter, clinician):
    vitals = services.vitals_record(
        encounter=encounter,
        by=clinician,
        systolic_bp=168,
        diastolic_bp=101,
        pulse=48,
        spo2=91,
        weight=Decimal("110"),
        weight_unit="kg",
        height=Decimal("170"),
        height_unit="cm",
    )

    assert vitals.bp_flag == "high"
    assert vitals.flag("pulse") == "low"
    assert vitals.flag("spo2") == "low"
    assert vitals.flag("bmi") == "high"
    assert vitals.flag("respiratory_rate") == ""


# --- The note -------------------------------------------------------------------------------


def test_autosave_keeps_what_was_typed_and_only_records_real_changes(encounter, clinician):
    services.note_save(
        encounter=encounter, by=clinician, data={"subjective": "Cough.\r\nNo fever."}
    )
    services.note_save(encounter=encounter, by=clinician, data={"subjective": "Cough.\nNo fever."})
    services.note_save(encounter=encounter, by=clinician, data={"chief_complaint": "cough"})

    note = ClinicalNote.objects.get(encounter=encounter)
    encounter.refresh_from_db()
    assert note.subjective == "Cough.\nNo fever."
    assert encounter.chief_complaint == "cough"
    # Created empty at start, then one real change: the repeated save added nothing.
    assert note.history.count() == 2


def test_only_the_encounters_provider_writes_its_note(other_encounter, clinician):
    with pytest.raises(ValidationError, match="encounter's provider"):
        services.note_save(encounter=other_encounter, by=clinician, data={"plan": "x"})


def test_template_fills_empty_sections_and_keeps_typed_ones(encounter, clinician):
    template = NoteTemplateFactory()
    services.note_save(encounter=encounter, by=clinician, data={"subjective": "My own words."})

    note = services.note_apply_template(encounter=encounter, template=template, by=clinician)

    assert note.subjective == "My own words."
    assert note.objective == template.objective
    assert note.assessment == template.assessment
    assert note.plan == template.plan
    assert note.template == template


def test_an_inactive_template_cannot_be_applied(encounter, clinician):
    template = NoteTemplateFactory(active=False)

    with pytest.raises(ValidationError, match="no longer in use"):
        services.note_apply_template(encounter=encounter, template=template, by=clinician)


# --- Diagnoses and procedures ----------------------------------------------------------------


def test_diagnoses_are_ranked_in_the_order_added(encounter, clinician):
    for code in ["i10", "E78.5", "e119"]:
        services.diagnosis_add(encounter=encounter, code=code, by=clinician)

    ranked = list(encounter.diagnoses.order_by("rank").values_list("code_id", "rank"))
    assert ranked == [("I10", 1), ("E78.5", 2), ("E11.9", 3)]


def test_a_category_code_is_not_billable(encounter, clinician):
    with pytest.raises(ValidationError, match=r"E11 .* is a category, not a billable code"):
        services.diagnosis_add(encounter=encounter, code="E11", by=clinician)


def test_an_unknown_code_is_refused(encounter, clinician):
    with pytest.raises(ValidationError, match=r"X99\.99 is not an ICD-10-CM code"):
        services.diagnosis_add(encounter=encounter, code="X99.99", by=clinician)


def test_the_same_code_twice_is_refused(encounter, clinician):
    services.diagnosis_add(encounter=encounter, code="I10", by=clinician)

    with pytest.raises(ValidationError, match="already on this encounter"):
        services.diagnosis_add(encounter=encounter, code="I10", by=clinician)


def test_at_most_twelve_diagnoses(encounter, clinician):
    from charting.models import DiagnosisCode

    DiagnosisCode.objects.bulk_create(
        [DiagnosisCode(code=f"U90.{n}", description=f"Test {n}", billable=True) for n in range(13)]
    )
    for n in range(12):
        services.diagnosis_add(encounter=encounter, code=f"U90.{n}", by=clinician)

    with pytest.raises(ValidationError, match="at most 12"):
        services.diagnosis_add(encounter=encounter, code="U90.12", by=clinician)


def test_reranking_moves_the_procedure_pointers_with_their_diagnoses(
    encounter, clinician, office_visit
):
    first = services.diagnosis_add(encounter=encounter, code="I10", by=clinician)
    second = services.diagnosis_add(encounter=encounter, code="E78.5", by=clinician)
    procedure = services.procedure_add(
        encounter=encounter, fee_schedule_entry=office_visit, diagnosis_pointers=[2], by=clinician
    )

    services.diagnosis_move(diagnosis=second, direction="up", by=clinician)

    first.refresh_from_db()
    second.refresh_from_db()
    procedure.refresh_from_db()
    assert (second.rank, first.rank) == (1, 2)
    assert procedure.diagnosis_pointers == [1]


def test_rerank_with_a_stale_list_is_refused(encounter, clinician):
    first = services.diagnosis_add(encounter=encounter, code="I10", by=clinician)

    with pytest.raises(ValidationError, match="changed while you were reordering"):
        services.diagnosis_rerank(
            encounter=encounter, diagnosis_ids=[first.pk, 999999], by=clinician
        )


def test_removing_a_diagnosis_closes_up_ranks_and_pointers(encounter, clinician, office_visit):
    first = services.diagnosis_add(encounter=encounter, code="I10", by=clinician)
    services.diagnosis_add(encounter=encounter, code="E78.5", by=clinician)
    procedure = services.procedure_add(
        encounter=encounter,
        fee_schedule_entry=office_visit,
        diagnosis_pointers=[1, 2],
        by=clinician,
    )

    services.diagnosis_remove(diagnosis=first, by=clinician)

    procedure.refresh_from_db()
    assert list(encounter.diagnoses.values_list("code_id", "rank")) == [("E78.5", 1)]
    assert procedure.diagnosis_pointers == [1]
    assert EncounterDiagnosis.history.filter(id=first.pk, history_type="-").exists()


def test_a_diagnosis_a_procedure_relies_on_alone_cannot_be_removed(
    encounter, clinician, office_visit
):
    first = services.diagnosis_add(encounter=encounter, code="I10", by=clinician)
    services.procedure_add(
        encounter=encounter, fee_schedule_entry=office_visit, diagnosis_pointers=[1], by=clinician
    )

    with pytest.raises(ValidationError, match="points only to I10"):
        services.diagnosis_remove(diagnosis=first, by=clinician)

    assert encounter.diagnoses.count() == 1


def test_procedure_with_modifiers_units_and_pointers(encounter, clinician):
    for code in ["I10", "E78.5"]:
        services.diagnosis_add(encounter=encounter, code=code, by=clinician)
    entry = FeeScheduleEntryFactory(code="93000", description="Electrocardiogram with report")

    procedure = services.procedure_add(
        encounter=encounter,
        fee_schedule_entry=entry,
        units=2,
        modifiers=["25", " lt", "", None],
        diagnosis_pointers=[2, 1],
        by=clinician,
    )

    procedure.refresh_from_db()
    assert procedure.modifiers == ["25", "LT"]
    assert procedure.diagnosis_pointers == [2, 1]
    assert procedure.pointer_letters == "BA"
    assert procedure.units == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"diagnosis_pointers": []}, "Choose the diagnosis"),
        ({"diagnosis_pointers": [2]}, "diagnoses 1 to 1 only"),
        ({"diagnosis_pointers": [1, 1]}, "each diagnosis once"),
        ({"diagnosis_pointers": [1], "units": 0}, "between 1 and 99"),
        ({"diagnosis_pointers": [1], "modifiers": ["25", "59", "LT", "RT", "76"]}, "at most 4"),
        ({"diagnosis_pointers": [1], "modifiers": ["2"]}, "is not a modifier"),
        ({"diagnosis_pointers": [1], "modifiers": ["25", "25"]}, "Each modifier once"),
    ],
)
def test_bad_procedure_lines_are_refused(encounter, clinician, office_visit, kwargs, message):
    services.diagnosis_add(encounter=encounter, code="I10", by=clinician)

    with pytest.raises(ValidationError, match=message):
        services.procedure_add(
            encounter=encounter, fee_schedule_entry=office_visit, by=clinician, **kwargs
        )

    assert not ProcedureLine.objects.exists()


def test_a_procedure_needs_a_diagnosis_first(encounter, clinician, office_visit):
    with pytest.raises(ValidationError, match="Add a diagnosis first"):
        services.procedure_add(
            encounter=encounter,
            fee_schedule_entry=office_visit,
            diagnosis_pointers=[1],
            by=clinician,
        )


def test_an_inactive_fee_schedule_entry_cannot_be_billed(encounter, clinician):
    services.diagnosis_add(encounter=encounter, code="I10", by=clinician)
    retired = FeeScheduleEntryFactory(code="99201", active=False)

    with pytest.raises(ValidationError, match="no longer on the fee schedule"):
        services.procedure_add(
            encounter=encounter, fee_schedule_entry=retired, diagnosis_pointers=[1], by=clinician
        )


# --- Signing --------------------------------------------------------------------------------


def test_signing_locks_the_encounter_and_completes_the_appointment(clinician, codes, office_visit):
    appointment = AppointmentFactory(provider=clinician.provider)
    encounter = services.encounter_start(
        provider=clinician.provider, appointment=appointment, by=clinician
    )
    services.note_save(
        encounter=encounter, by=clinician, data={"assessment": "URI", "plan": "Fluids, rest."}
    )
    services.diagnosis_add(encounter=encounter, code="J06.9", by=clinician)
    moment = timezone.now()

    signed = services.encounter_sign(encounter=encounter, by=clinician, now=moment)

    appointment.refresh_from_db()
    assert signed.status == EncounterStatus.SIGNED
    assert signed.signed_by == clinician
    assert signed.signed_at == moment
    assert appointment.status == AppointmentStatus.COMPLETED
    assert appointment.completed_by == clinician


def test_a_walk_in_signs_without_an_appointment(signable, clinician):
    signed = services.encounter_sign(encounter=signable, by=clinician)

    assert signed.is_signed


@pytest.mark.parametrize(
    ("note", "with_diagnosis", "message"),
    [
        ({"plan": "Rest."}, True, "needs an assessment."),
        ({"assessment": "URI"}, True, "needs a plan."),
        ({"assessment": "URI", "plan": "Rest."}, False, "needs at least one diagnosis."),
        ({}, False, "needs an assessment, a plan and at least one diagnosis."),
        ({"assessment": "   ", "plan": "Rest."}, True, "needs an assessment."),
    ],
)
def test_signing_requires_assessment_plan_and_a_diagnosis(
    encounter, clinician, note, with_diagnosis, message
):
    services.note_save(encounter=encounter, by=clinician, data=note)
    if with_diagnosis:
        services.diagnosis_add(encounter=encounter, code="I10", by=clinician)

    with pytest.raises(ValidationError, match=message):
        services.encounter_sign(encounter=encounter, by=clinician)

    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.OPEN


def test_only_the_encounters_provider_can_sign(signable, roles):
    colleague = ProviderFactory().user

    with pytest.raises(ValidationError, match=r"Only .* can sign this encounter"):
        services.encounter_sign(encounter=signable, by=colleague)

    signable.refresh_from_db()
    assert signable.status == EncounterStatus.OPEN


def test_signing_twice_is_refused(signed, clinician):
    with pytest.raises(ValidationError, match="already signed"):
        services.encounter_sign(encounter=signed, by=clinician)


@pytest.mark.parametrize(
    "change",
    [
        lambda e, u, entry: services.note_save(encounter=e, by=u, data={"plan": "changed"}),
        lambda e, u, entry: services.note_apply_template(
            encounter=e, template=NoteTemplateFactory(), by=u
        ),
        lambda e, u, entry: services.vitals_record(encounter=e, by=u, pulse=80),
        lambda e, u, entry: services.diagnosis_add(encounter=e, code="E78.5", by=u),
        lambda e, u, entry: services.diagnosis_remove(diagnosis=e.diagnoses.get(), by=u),
        lambda e, u, entry: services.diagnosis_rerank(
            encounter=e, diagnosis_ids=[e.diagnoses.get().pk], by=u
        ),
        lambda e, u, entry: services.procedure_add(
            encounter=e, fee_schedule_entry=entry, diagnosis_pointers=[1], by=u
        ),
        lambda e, u, entry: services.procedure_remove(procedure=e.procedures.get(), by=u),
    ],
    ids=[
        "note",
        "template",
        "vitals",
        "diagnosis_add",
        "diagnosis_remove",
        "rerank",
        "procedure_add",
        "procedure_remove",
    ],
)
def test_no_service_changes_a_signed_encounter(signed, clinician, office_visit, change):
    with pytest.raises(ValidationError, match="signed and can no longer be changed"):
        change(signed, clinician, office_visit)


# --- Addenda --------------------------------------------------------------------------------


def test_addendum_is_signed_and_timestamped_by_its_author(signed, clinician):
    moment = timezone.now() + datetime.timedelta(hours=2)

    addendum = services.addendum_add(
        encounter=signed, by=clinician, text="  Lab called: potassium normal. ", now=moment
    )

    assert addendum.author == clinician
    assert addendum.signed_at == moment
    assert addendum.text == "Lab called: potassium normal."
    assert list(signed.addenda.all()) == [addendum]


def test_addendum_only_on_a_signed_note(encounter, clinician):
    with pytest.raises(ValidationError, match="not signed yet"):
        services.addendum_add(encounter=encounter, by=clinician, text="late entry")


def test_addendum_needs_text(signed, clinician):
    with pytest.raises(ValidationError, match="Write the addendum"):
        services.addendum_add(encounter=signed, by=clinician, text="   ")


def test_addendum_only_by_the_encounters_provider(signed, roles):
    with pytest.raises(ValidationError, match="add an addendum"):
        services.addendum_add(encounter=signed, by=ProviderFactory().user, text="not mine")
