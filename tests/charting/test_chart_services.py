"""The longitudinal chart (allergies, problems, medications) and the fee schedule import."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from charting import services
from charting.models import (
    Allergy,
    AllergySeverity,
    ChartItemStatus,
    FeeScheduleEntry,
    Medication,
    Problem,
)
from tests.charting.factories import FeeScheduleEntryFactory

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def test_allergy_is_recorded_with_reaction_and_severity(patient, clinician):
    allergy = services.allergy_add(
        patient=patient,
        by=clinician,
        data={"substance": " Penicillin ", "reaction": "hives", "severity": AllergySeverity.SEVERE},
    )

    assert allergy.substance == "Penicillin"
    assert allergy.severity == AllergySeverity.SEVERE
    assert allergy.status == ChartItemStatus.ACTIVE
    assert allergy.history.get().history_user == clinician


def test_the_same_active_allergy_twice_is_refused(patient, clinician):
    services.allergy_add(patient=patient, by=clinician, data={"substance": "Penicillin"})

    with pytest.raises(ValidationError, match="already on the allergy list"):
        services.allergy_add(patient=patient, by=clinician, data={"substance": "penicillin"})


def test_allergy_needs_a_substance_and_a_past_onset(patient, clinician):
    with pytest.raises(ValidationError, match="Name the substance"):
        services.allergy_add(patient=patient, by=clinician, data={"substance": "  "})
    with pytest.raises(ValidationError, match="in the future"):
        services.allergy_add(
            patient=patient, by=clinician, data={"substance": "Latex", "onset_date": TOMORROW}
        )

    assert not Allergy.objects.exists()


def test_allergy_entered_in_error_stays_on_record(patient, clinician):
    allergy = services.allergy_add(patient=patient, by=clinician, data={"substance": "Sulfa"})

    services.allergy_update(allergy=allergy, by=clinician, data={"status": "entered_in_error"})

    allergy.refresh_from_db()
    assert allergy.status == ChartItemStatus.ENTERED_IN_ERROR
    assert allergy.history.count() == 2


def test_problem_is_coded_with_a_billable_code(patient, clinician, codes):
    problem = services.problem_add(
        patient=patient, by=clinician, data={"code": "e11.9", "note": "diet controlled"}
    )

    assert problem.code_id == "E11.9"
    assert problem.note == "diet controlled"


def test_problem_refuses_a_category_and_a_duplicate(patient, clinician, codes):
    services.problem_add(patient=patient, by=clinician, data={"code": "I10"})

    with pytest.raises(ValidationError, match="not a billable code"):
        services.problem_add(patient=patient, by=clinician, data={"code": "E11"})
    with pytest.raises(ValidationError, match="already on the active problem list"):
        services.problem_add(patient=patient, by=clinician, data={"code": "I10"})


def test_resolving_a_problem_dates_it_and_checks_the_order(patient, clinician, codes):
    problem = services.problem_add(
        patient=patient,
        by=clinician,
        data={"code": "I10", "onset_date": timezone.localdate() - datetime.timedelta(days=30)},
    )

    with pytest.raises(ValidationError, match="cannot resolve before its onset"):
        services.problem_update(
            problem=problem,
            by=clinician,
            data={"status": "inactive", "resolved_date": datetime.date(2000, 1, 1)},
        )
    services.problem_update(problem=problem, by=clinician, data={"status": "inactive"})

    problem.refresh_from_db()
    assert problem.status == ChartItemStatus.INACTIVE
    assert problem.resolved_date == timezone.localdate()


def test_medication_started_and_stopped(patient, clinician):
    medication = services.medication_add(
        patient=patient,
        by=clinician,
        data={
            "name": "Lisinopril 10 mg tablet",
            "instructions": "1 tablet daily",
            "start_date": datetime.date(2025, 1, 15),
        },
    )

    services.medication_update(medication=medication, by=clinician, data={"status": "inactive"})

    medication.refresh_from_db()
    assert medication.status == ChartItemStatus.INACTIVE
    assert medication.end_date == timezone.localdate()


def test_medication_dates_in_order(patient, clinician):
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        services.medication_add(
            patient=patient,
            by=clinician,
            data={
                "name": "Metformin 500 mg",
                "start_date": datetime.date(2025, 3, 1),
                "end_date": datetime.date(2025, 2, 1),
            },
        )

    assert not Medication.objects.exists()


def test_a_medication_entered_with_an_end_date_is_not_active(patient, clinician):
    medication = services.medication_add(
        patient=patient,
        by=clinician,
        data={
            "name": "Amoxicillin 500 mg",
            "start_date": datetime.date(2025, 3, 1),
            "end_date": datetime.date(2025, 3, 10),
        },
    )

    assert medication.status == ChartItemStatus.INACTIVE


def test_problems_stay_after_being_marked_in_error(patient, clinician, codes):
    problem = services.problem_add(patient=patient, by=clinician, data={"code": "I10"})

    services.problem_update(problem=problem, by=clinician, data={"status": "entered_in_error"})

    assert Problem.objects.filter(pk=problem.pk, status="entered_in_error").exists()


# --- Fee schedule import ---------------------------------------------------------------------

HEADER = "code_system,code,description,price,active\n"


def test_import_adds_and_updates_entries(clinic_admin):
    FeeScheduleEntryFactory(code="99213", price=Decimal("100.00"))
    csv_text = (
        HEADER + 'CPT,99213,"Office visit, established patient, low",$115.00,yes\n'
        'CPT,99214,"Office visit, established patient, moderate",165,yes\n'
        'HCPCS,G0439,Annual wellness visit,"1,170.50",no\n'
        ",,,,\n"
    )

    result = services.fee_schedule_import(csv_text=csv_text, by=clinic_admin)

    assert (result.created, result.updated, result.errors) == (2, 1, [])
    assert FeeScheduleEntry.objects.get(code="99213").price == Decimal("115.00")
    assert FeeScheduleEntry.objects.get(code="G0439").price == Decimal("1170.50")
    assert not FeeScheduleEntry.objects.get(code="G0439").active


def test_import_again_changes_nothing(clinic_admin):
    csv_text = HEADER + "CPT,99213,Office visit,110,yes\n"
    services.fee_schedule_import(csv_text=csv_text, by=clinic_admin)

    result = services.fee_schedule_import(csv_text=csv_text, by=clinic_admin)

    assert (result.created, result.updated) == (0, 0)
    assert FeeScheduleEntry.history.count() == 1


def test_import_reports_every_bad_row_and_saves_nothing(clinic_admin):
    csv_text = HEADER + (
        "CPT,99213,Office visit,110,yes\n"
        "CPT,9921,Too short,110,yes\n"
        "XYZ,99214,Unknown system,110,yes\n"
        "CPT,99215,,110,yes\n"
        "CPT,99203,New patient,abc,yes\n"
        "CPT,99204,New patient,-5,yes\n"
        "CPT,99205,New patient,10.999,yes\n"
        "CPT,99211,Nurse visit,25,maybe\n"
        "HCPCS,99212,Not a HCPCS code,10,yes\n"
        "CPT,99213,Duplicate,110,yes\n"
    )

    result = services.fee_schedule_import(csv_text=csv_text, by=clinic_admin)

    lines = [line for line, _message in result.errors]
    messages = dict(result.errors)
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "CPT code is five characters" in messages[3]
    assert "is not CPT or HCPCS" in messages[4]
    assert "description is empty" in messages[5]
    assert "is not an amount" in messages[6]
    assert "zero or more" in messages[7]
    assert "dollars and cents" in messages[8]
    assert "yes or no" in messages[9]
    assert "HCPCS code is a letter and four digits" in messages[10]
    assert "already appears on line 2" in messages[11]
    assert not FeeScheduleEntry.objects.exists()


def test_import_needs_the_columns(clinic_admin):
    result = services.fee_schedule_import(csv_text="code,price\n99213,10\n", by=clinic_admin)

    assert result.errors == [(1, "missing column(s): description")]


def test_import_of_an_empty_file(clinic_admin):
    result = services.fee_schedule_import(csv_text=HEADER, by=clinic_admin)

    assert result.errors == [(1, "the file has no rows")]
