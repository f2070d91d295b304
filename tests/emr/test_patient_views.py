import datetime

import pytest
from django.urls import reverse

from emr.models import AccessLog, Patient
from tests.factories import CoverageFactory, PatientFactory

pytestmark = pytest.mark.django_db

VALID_PATIENT = {
    "first_name": "Ada",
    "middle_name": "",
    "last_name": "Lovelace",
    "preferred_name": "",
    "date_of_birth": "1985-12-10",
    "sex_at_birth": "F",
    "gender_identity": "",
    "phone_mobile": "217-555-0199",
    "phone_home": "",
    "email": "ada@example.com",
    "address_line1": "12 Analytical Way",
    "address_line2": "",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62701",
    "preferred_language": "English",
    "emergency_contact_name": "",
    "emergency_contact_relationship": "",
    "emergency_contact_phone": "",
}


def test_front_desk_registers_a_patient_with_a_new_mrn(client_as):
    client = client_as("front_desk")

    response = client.post(reverse("patients:register"), VALID_PATIENT)

    patient = Patient.objects.get(last_name="Lovelace")
    assert response.status_code == 302
    assert response.url == patient.get_absolute_url()
    assert len(patient.mrn) == 8 and patient.mrn.isdigit()


def test_registration_with_a_future_birth_date_is_refused_and_nothing_saved(client_as):
    client = client_as("front_desk")

    response = client.post(
        reverse("patients:register"), {**VALID_PATIENT, "date_of_birth": "2999-01-01"}
    )

    assert response.status_code == 200
    assert "Date of birth cannot be in the future." in response.content.decode()
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "This field is required."),
        ("date_of_birth", "31/31/1990", "Enter a valid date."),
        ("phone_mobile", "12", "Enter a phone number with area code"),
        ("postal_code", "ABCDE", "Enter a 5-digit ZIP code"),
        ("email", "not-an-email", "Enter a valid email address."),
        ("sex_at_birth", "Q", "Select a valid choice."),
    ],
)
def test_registration_bad_input_shows_message_and_saves_nothing(client_as, field, value, message):
    client = client_as("front_desk")

    response = client.post(reverse("patients:register"), {**VALID_PATIENT, field: value})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Patient.objects.exists()


def test_registration_of_same_name_and_birth_date_warns_then_allows_when_confirmed(client_as):
    client = client_as("front_desk")
    existing = PatientFactory(
        first_name="Ada", last_name="Lovelace", date_of_birth=datetime.date(1985, 12, 10)
    )

    warned = client.post(reverse("patients:register"), VALID_PATIENT)
    confirmed = client.post(
        reverse("patients:register"), {**VALID_PATIENT, "confirm_new_patient": "on"}
    )

    assert "Possible duplicate" in warned.content.decode()
    assert existing.mrn in warned.content.decode()
    assert confirmed.status_code == 302
    assert Patient.objects.filter(last_name="Lovelace").count() == 2


def test_viewing_a_chart_writes_the_access_log(client_as, patient):
    client = client_as("clinician")

    response = client.get(patient.get_absolute_url())

    assert response.status_code == 200
    entry = AccessLog.objects.get(patient=patient, action="view")
    assert entry.user == response.wsgi_request.user
    assert entry.ip_address == "127.0.0.1"


def test_chart_output_is_escaped(client_as):
    patient = PatientFactory(first_name="<script>alert(1)</script>", last_name="O'Hara")
    client = client_as("front_desk")

    html = client.get(patient.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("gonz", {"Gonzalez"}),
        ("maria gon", {"Gonzalez"}),
        ("1975-03-14", {"Gonzalez"}),
        ("03/14/1975", {"Gonzalez"}),
        ("(312) 555-7788", {"Gonzalez"}),
        ("3125557788", {"Gonzalez"}),
        ("smith", {"Smith"}),
        ("zzz", set()),
    ],
)
def test_search_by_name_fragment_birth_date_and_phone(client_as, query, expected):
    PatientFactory(
        first_name="Maria",
        last_name="Gonzalez",
        date_of_birth=datetime.date(1975, 3, 14),
        phone_mobile="312-555-7788",
    )
    PatientFactory(
        first_name="John",
        last_name="Smith",
        date_of_birth=datetime.date(1960, 1, 2),
        phone_mobile="217-555-0001",
    )
    client = client_as("front_desk")

    response = client.get(reverse("patients:list"), {"q": query})

    assert {patient.last_name for patient in response.context["page"]} == expected


def test_search_by_mrn(client_as):
    target = PatientFactory(last_name="Target")
    PatientFactory(last_name="Other")
    client = client_as("billing")

    response = client.get(reverse("patients:list"), {"q": target.mrn})

    assert [patient.pk for patient in response.context["page"]] == [target.pk]


def test_inactive_patients_are_hidden_unless_asked_for(client_as):
    PatientFactory(last_name="Gone", active=False)
    client = client_as("front_desk")

    default = client.get(reverse("patients:list"), {"q": "gone"})
    with_inactive = client.get(reverse("patients:list"), {"q": "gone", "include_inactive": "on"})

    assert len(default.context["page"]) == 0
    assert len(with_inactive.context["page"]) == 1


def test_search_results_query_count_does_not_grow_with_rows(
    client_as, django_assert_max_num_queries
):
    client = client_as("front_desk")
    for _ in range(30):
        CoverageFactory()

    with django_assert_max_num_queries(12) as few:
        client.get(reverse("patients:list"))
    for _ in range(30):
        CoverageFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("patients:list"))

    assert len(response.context["page"]) == 25
