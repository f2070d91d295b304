"""Rules of emr/services.py (patients and coverage) and of the NPI validator."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from emr import services
from emr.models import Coverage, Patient
from emr.validators import validate_npi
from tests.factories import CoverageFactory, PatientFactory, PayerFactory, valid_npi

pytestmark = pytest.mark.django_db


def _patient_data(**overrides) -> dict:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": datetime.date(1985, 12, 10),
        "sex_at_birth": "F",
        "phone_mobile": "217-555-0199",
        "address_line1": "12 Analytical Way",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        **overrides,
    }


def _coverage_data(**overrides) -> dict:
    return {
        "payer": PayerFactory(),
        "member_id": "XJ1234567",
        "group_number": "GRP100",
        "priority": "primary",
        "relationship": "18",
        "effective_from": datetime.date(2025, 1, 1),
        **overrides,
    }


def _error_fields(error: ValidationError) -> set[str]:
    return set(error.value.error_dict)


# Patients


def test_patient_register_assigns_consecutive_eight_digit_mrns_from_the_sequence():
    first = services.patient_register(data=_patient_data(first_name="Ada"))
    second = services.patient_register(data=_patient_data(first_name="Grace"))

    assert re.fullmatch(r"\d{8}", first.mrn)
    assert re.fullmatch(r"\d{8}", second.mrn)
    assert int(second.mrn) == int(first.mrn) + 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM emr_patient_mrn_seq")
        assert cursor.fetchone()[0] == int(second.mrn)


def test_patient_register_ignores_an_mrn_in_the_submitted_data():
    patient = services.patient_register(data=_patient_data(mrn="00000001"))

    assert patient.mrn != "00000001"
    assert Patient.objects.get(pk=patient.pk).mrn == patient.mrn


def test_patient_register_refuses_same_name_and_birth_date_as_possible_duplicate():
    PatientFactory(
        first_name="Ada", last_name="Lovelace", date_of_birth=datetime.date(1985, 12, 10)
    )

    with pytest.raises(ValidationError) as error:
        services.patient_register(data=_patient_data(first_name=" ada ", last_name="LOVELACE"))

    assert error.value.code == "possible_duplicate"
    assert "already exists" in error.value.messages[0]
    assert Patient.objects.count() == 1


def test_patient_register_creates_the_duplicate_when_confirmed():
    existing = PatientFactory(
        first_name="Ada", last_name="Lovelace", date_of_birth=datetime.date(1985, 12, 10)
    )

    patient = services.patient_register(data=_patient_data(), allow_duplicate=True)

    assert patient.pk != existing.pk
    assert patient.mrn != existing.mrn
    assert Patient.objects.filter(last_name="Lovelace").count() == 2


def test_patient_register_allows_same_name_with_another_birth_date():
    PatientFactory(first_name="Ada", last_name="Lovelace", date_of_birth=datetime.date(1990, 1, 1))

    services.patient_register(data=_patient_data())

    assert Patient.objects.filter(last_name="Lovelace").count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"date_of_birth": "tomorrow"},
            "date_of_birth",
            "Date of birth cannot be in the future.",
        ),
        (
            {"date_of_birth": datetime.date(1850, 1, 1)},
            "date_of_birth",
            "Please check the year of birth.",
        ),
        (
            {"deceased_date": datetime.date(1980, 1, 1)},
            "deceased_date",
            "Date of death cannot be before date of birth.",
        ),
        (
            {"deceased_date": "tomorrow"},
            "deceased_date",
            "Date of death cannot be in the future.",
        ),
    ],
)
def test_patient_register_refuses_impossible_dates(overrides, field, message):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = _patient_data(
        **{key: tomorrow if value == "tomorrow" else value for key, value in overrides.items()}
    )

    with pytest.raises(ValidationError) as error:
        services.patient_register(data=data)

    assert error.value.message_dict == {field: [message]}
    assert not Patient.objects.exists()


def test_patient_update_records_a_field_level_diff_in_history():
    patient = services.patient_register(data=_patient_data())

    services.patient_update(patient=patient, data={"last_name": "King", "city": "London"})

    latest, previous = patient.history.order_by("-history_date", "-history_id")[:2]
    delta = latest.diff_against(previous, excluded_fields=["updated_at"])
    assert latest.history_type == "~"
    assert {change.field: (change.old, change.new) for change in delta.changes} == {
        "last_name": ("Lovelace", "King"),
        "city": ("Springfield", "London"),
    }


def test_patient_update_without_a_change_writes_no_history():
    patient = services.patient_register(data=_patient_data())

    services.patient_update(patient=patient, data=_patient_data())

    assert patient.history.count() == 1


def test_patient_update_refuses_a_future_birth_date_and_keeps_the_old_one():
    patient = services.patient_register(data=_patient_data())
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        services.patient_update(patient=patient, data={"date_of_birth": tomorrow})

    assert _error_fields(error) == {"date_of_birth"}
    patient.refresh_from_db()
    assert patient.date_of_birth == datetime.date(1985, 12, 10)


@pytest.mark.parametrize("reason", ["", "   "])
def test_patient_deactivation_requires_a_reason(reason):
    patient = PatientFactory()

    with pytest.raises(ValidationError) as error:
        services.patient_set_active(patient=patient, active=False, reason=reason)

    assert error.value.message_dict == {"reason": ["Say why the patient is being deactivated."]}
    patient.refresh_from_db()
    assert patient.active is True


def test_patient_deactivation_keeps_the_record_with_its_reason():
    patient = PatientFactory()

    services.patient_set_active(patient=patient, active=False, reason="  moved away ")

    patient.refresh_from_db()
    assert patient.active is False
    assert patient.deactivation_reason == "moved away"
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_patient_reactivation_clears_the_reason_without_asking_for_one():
    patient = PatientFactory(active=False, deactivation_reason="duplicate record")

    services.patient_set_active(patient=patient, active=True)

    patient.refresh_from_db()
    assert patient.active is True
    assert patient.deactivation_reason == ""


# Coverage


def test_coverage_add_refuses_a_second_active_primary():
    existing = CoverageFactory(priority="primary")

    with pytest.raises(ValidationError) as error:
        services.coverage_add(patient=existing.patient, data=_coverage_data(priority="primary"))

    assert _error_fields(error) == {"priority"}
    assert "already has an active primary coverage" in error.value.message_dict["priority"][0]
    assert Coverage.objects.filter(patient=existing.patient).count() == 1


def test_coverage_add_allows_a_secondary_beside_the_primary():
    existing = CoverageFactory(priority="primary")

    services.coverage_add(patient=existing.patient, data=_coverage_data(priority="secondary"))

    assert set(
        Coverage.objects.filter(patient=existing.patient, active=True).values_list(
            "priority", flat=True
        )
    ) == {"primary", "secondary"}


def test_coverage_add_allows_a_new_primary_once_the_old_one_is_inactivated():
    old = CoverageFactory(priority="primary")
    services.coverage_inactivate(coverage=old)

    new = services.coverage_add(patient=old.patient, data=_coverage_data(priority="primary"))

    assert new.active is True
    assert Coverage.objects.filter(patient=old.patient).count() == 2


def test_coverage_add_refuses_an_end_before_the_start():
    patient = PatientFactory()
    data = _coverage_data(
        effective_from=datetime.date(2025, 6, 1), effective_to=datetime.date(2025, 5, 31)
    )

    with pytest.raises(ValidationError) as error:
        services.coverage_add(patient=patient, data=data)

    assert error.value.message_dict == {"effective_to": ["Coverage cannot end before it starts."]}
    assert not Coverage.objects.exists()


def test_coverage_add_allows_a_one_day_coverage():
    patient = PatientFactory()
    day = datetime.date(2025, 6, 1)

    coverage = services.coverage_add(
        patient=patient, data=_coverage_data(effective_from=day, effective_to=day)
    )

    assert coverage.effective_to == day


@pytest.mark.parametrize("relationship", ["01", "19", "G8"])
def test_coverage_add_requires_subscriber_name_and_birth_date_when_patient_is_not_subscriber(
    relationship,
):
    patient = PatientFactory()

    with pytest.raises(ValidationError) as error:
        services.coverage_add(patient=patient, data=_coverage_data(relationship=relationship))

    assert _error_fields(error) == {
        "subscriber_first_name",
        "subscriber_last_name",
        "subscriber_date_of_birth",
    }
    assert not Coverage.objects.exists()


def test_coverage_add_saves_the_named_subscriber_of_a_dependent():
    patient = PatientFactory()
    data = _coverage_data(
        relationship="19",
        subscriber_first_name="Rosa",
        subscriber_last_name="Parks",
        subscriber_date_of_birth=datetime.date(1960, 2, 4),
        subscriber_sex="F",
    )

    coverage = services.coverage_add(patient=patient, data=data)

    coverage.refresh_from_db()
    assert (coverage.subscriber_first_name, coverage.subscriber_last_name) == ("Rosa", "Parks")
    assert coverage.subscriber_date_of_birth == datetime.date(1960, 2, 4)


def test_coverage_add_clears_subscriber_fields_when_patient_is_the_subscriber():
    patient = PatientFactory()
    data = _coverage_data(
        relationship="18",
        subscriber_first_name="Rosa",
        subscriber_last_name="Parks",
        subscriber_date_of_birth=datetime.date(1960, 2, 4),
        subscriber_sex="F",
    )

    coverage = services.coverage_add(patient=patient, data=data)

    coverage.refresh_from_db()
    assert coverage.subscriber_first_name == ""
    assert coverage.subscriber_last_name == ""
    assert coverage.subscriber_date_of_birth is None
    assert coverage.subscriber_sex == ""


def test_coverage_inactivate_ends_the_coverage_today_and_keeps_the_row():
    coverage = CoverageFactory(effective_from=datetime.date(2024, 1, 1))

    services.coverage_inactivate(coverage=coverage)

    coverage.refresh_from_db()
    assert coverage.active is False
    assert coverage.effective_to == timezone.localdate()
    assert Coverage.objects.filter(pk=coverage.pk).exists()


def test_coverage_inactivate_keeps_an_earlier_end_date():
    coverage = CoverageFactory(
        effective_from=datetime.date(2024, 1, 1), effective_to=datetime.date(2024, 12, 31)
    )

    services.coverage_inactivate(coverage=coverage, end_date=datetime.date(2025, 3, 1))

    coverage.refresh_from_db()
    assert coverage.active is False
    assert coverage.effective_to == datetime.date(2024, 12, 31)


def test_coverage_inactivate_refuses_an_end_before_the_start():
    coverage = CoverageFactory(effective_from=datetime.date(2025, 6, 1))

    with pytest.raises(ValidationError) as error:
        services.coverage_inactivate(coverage=coverage, end_date=datetime.date(2025, 5, 1))

    assert _error_fields(error) == {"end_date"}
    coverage.refresh_from_db()
    assert coverage.active is True
    assert coverage.effective_to is None


# NPI


@pytest.mark.parametrize("npi", ["1234567893", valid_npi(7), valid_npi(12_345_678)])
def test_npi_with_a_correct_check_digit_is_accepted(npi):
    validate_npi(npi)


@pytest.mark.parametrize(
    ("npi", "code", "message"),
    [
        ("1234567890", "npi_check_digit", "This NPI fails its check digit"),
        ("1234567894", "npi_check_digit", "This NPI fails its check digit"),
        ("123456789", "npi_format", "An NPI is exactly 10 digits."),
        ("12345678931", "npi_format", "An NPI is exactly 10 digits."),
        ("12345678A3", "npi_format", "An NPI is exactly 10 digits."),
        ("", "npi_format", "An NPI is exactly 10 digits."),
    ],
)
def test_npi_with_wrong_check_digit_or_length_is_refused_with_a_clear_message(npi, code, message):
    with pytest.raises(ValidationError) as error:
        validate_npi(npi)

    assert error.value.code == code
    assert error.value.messages[0].startswith(message)
