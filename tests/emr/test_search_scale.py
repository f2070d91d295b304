"""Patient search on a 100,000-patient table: every kind of query is answered by an index."""

import time

import pytest
from django.db import connection
from django.urls import reverse

from emr.selectors import patient_list_for_search

pytestmark = pytest.mark.django_db

SURNAMES = [
    "Smith",
    "Johnson",
    "Nguyen",
    "Garcia",
    "Okafor",
    "Kowalski",
    "Patel",
    "Brown",
    "Lee",
    "Haddad",
]


@pytest.fixture
def hundred_thousand_patients(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO emr_patient (
                created_at, updated_at, mrn, first_name, middle_name, last_name, preferred_name,
                date_of_birth, sex_at_birth, gender_identity, phone_mobile, phone_home, email,
                address_line1, address_line2, city, state, postal_code, preferred_language,
                emergency_contact_name, emergency_contact_relationship, emergency_contact_phone,
                active, deactivation_reason
            )
            SELECT now(), now(), lpad(n::text, 8, '0'), 'First' || n, '',
                   (%s::text[])[1 + n %% 10] || n, '',
                   date '1940-01-01' + (n %% 25000), 'F', '', '217' || lpad(n::text, 7, '0'), '', '',
                   '', '', '', '', '', 'English', '', '', '', true, ''
            FROM generate_series(1, 100000) AS n
            """,
            [SURNAMES],
        )
        cursor.execute("ANALYZE emr_patient")


def _plan(queryset) -> str:
    return queryset.explain()


def test_search_uses_an_index_not_a_table_scan(hundred_thousand_patients):
    # name prefix, first name, phone, MRN, date of birth, and a combination
    for query in [
        "smith12",
        "first777",
        "2170045678",
        "00045678",
        "1960-05-01",
        "nguyen 1960-05-01",
    ]:
        plan = _plan(patient_list_for_search(query=query))

        assert "Seq Scan on emr_patient" not in plan, f"{query}: {plan}"


def test_search_results_page_is_fast_on_100k_patients(hundred_thousand_patients, client_as):
    client = client_as("front_desk")
    client.get(reverse("patients:list"), {"q": "okafor9"})  # warm caches

    started = time.perf_counter()
    response = client.get(reverse("patients:list"), {"q": "okafor9"})
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1111
    assert elapsed < 0.5, f"search took {elapsed * 1000:.0f} ms"
