import pytest

from charting.demo import FEE_SCHEDULE, NOTE_TEMPLATES, seed_charting
from charting.models import (
    Allergy,
    ClinicalNote,
    Encounter,
    EncounterStatus,
    FeeScheduleEntry,
    NoteTemplate,
    Problem,
    Vitals,
)
from emr.demo import seed_core
from scheduling.demo import seed_scheduling
from scheduling.models import Appointment, AppointmentStatus

pytestmark = pytest.mark.django_db


def test_demo_signs_every_completed_appointment_and_builds_chart_histories(roles, full_icd10cm):
    seed_core(patients=30)
    seed_scheduling(days=2)

    result = seed_charting(history_patients=2)
    again = seed_charting(history_patients=2)

    completed = Appointment.objects.filter(status=AppointmentStatus.COMPLETED)
    assert completed.exists()
    assert not completed.filter(encounter__isnull=True).exists()
    assert result.encounters == Encounter.objects.count() >= completed.count()
    assert again.encounters == 0
    assert not Encounter.objects.exclude(status=EncounterStatus.SIGNED).exists()
    assert not ClinicalNote.objects.filter(assessment="").exists()
    assert not ClinicalNote.objects.filter(plan="").exists()
    for encounter in Encounter.objects.prefetch_related("diagnoses", "procedures"):
        assert encounter.diagnoses.all(), encounter
        assert encounter.procedures.all(), encounter
    # Two patients with a year and a half of quarterly follow-ups for their trend charts.
    histories = [
        patient_id
        for patient_id in Encounter.objects.values_list("patient_id", flat=True).distinct()
        if Encounter.objects.filter(patient_id=patient_id).count() >= 6
    ]
    assert len(histories) >= 2
    assert Vitals.objects.filter(encounter__patient_id=histories[0]).count() >= 6
    assert Problem.objects.exists()
    assert Allergy.objects.exists() or Problem.objects.count() >= 2
    assert NoteTemplate.objects.count() == len(NOTE_TEMPLATES)
    assert FeeScheduleEntry.objects.count() == len(FEE_SCHEDULE)


def test_demo_fee_schedule_uses_the_clinics_own_words(db):
    seed_charting()

    office_visit = FeeScheduleEntry.objects.get(code="99214")
    assert office_visit.description == "Office visit, established patient, moderate"
    assert str(office_visit.price) == "165.00"
