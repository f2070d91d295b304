"""Demo data for the clinic core: the clinic, staff logins, providers, payers, patients.

Deterministic (seeded random) and idempotent: running it again changes nothing.
"""

from __future__ import annotations

import datetime
import random

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from emr import services
from emr.models import (
    Clinic,
    CoveragePriority,
    Patient,
    Payer,
    Provider,
    SexAtBirth,
    SubscriberRelationship,
    User,
)
from emr.validators import npi_check_digit

DEMO_USERS = [
    # username, first, last, role
    ("frontdesk", "Dana", "Brooks", "front_desk"),
    ("clinician", "Priya", "Raman", "clinician"),
    ("billing", "Marcus", "Lee", "billing"),
    ("clinicadmin", "Ruth", "Okafor", "clinic_admin"),
]

OTHER_PROVIDERS = [
    ("drwalsh", "Thomas", "Walsh", "DO", "#198754"),
    ("npgarcia", "Elena", "Garcia", "NP", "#d63384"),
]

PAYERS = [
    ("Blue Cross Blue Shield of Illinois", "00621", "300 E Randolph St", "Chicago", "IL", "60601"),
    ("Aetna", "60054", "151 Farmington Ave", "Hartford", "CT", "06156"),
    ("UnitedHealthcare", "87726", "PO Box 30555", "Salt Lake City", "UT", "84130"),
    ("Cigna", "62308", "PO Box 188061", "Chattanooga", "TN", "37422"),
    ("Medicare Part B (Illinois)", "06102", "PO Box 6475", "Indianapolis", "IN", "46206"),
]

FIRST_NAMES_F = [
    "Maria",
    "Linda",
    "Aisha",
    "Emily",
    "Sofia",
    "Grace",
    "Mei",
    "Olivia",
    "Fatima",
    "Hannah",
    "Chloe",
    "Ava",
    "Isabel",
    "Nora",
    "Yara",
    "Leah",
    "Zoe",
    "Ruth",
    "Keisha",
    "Ana",
]
FIRST_NAMES_M = [
    "James",
    "Carlos",
    "Wei",
    "Ahmed",
    "Daniel",
    "Noah",
    "Liam",
    "Samuel",
    "Jamal",
    "Ethan",
    "Lucas",
    "Omar",
    "Ivan",
    "Mateo",
    "Kenji",
    "Arjun",
    "Owen",
    "Elijah",
    "Tyrone",
    "Diego",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Patel",
    "Kim",
    "Chen",
    "Okafor",
    "Schmidt",
    "Kowalski",
    "O'Brien",
    "Murphy",
]
STREETS = [
    "Maple St",
    "Oak Ave",
    "Lincoln Blvd",
    "Washington St",
    "Cedar Ln",
    "Elm St",
    "Park Ave",
    "Sunset Dr",
    "Lakeview Rd",
    "Walnut St",
    "Jefferson Ave",
    "Prairie Rd",
]
CITIES = [
    ("Springfield", "62701"),
    ("Springfield", "62704"),
    ("Chatham", "62629"),
    ("Rochester", "62563"),
    ("Sherman", "62684"),
    ("Riverton", "62561"),
]
LANGUAGES = ["English"] * 16 + ["Spanish", "Spanish", "Mandarin", "Arabic"]


def _npi(seed: int) -> str:
    first_nine = f"1{seed:08d}"
    return first_nine + npi_check_digit(first_nine)


def _user(username: str, first: str, last: str, role: str) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@clinic.example"},
    )
    if created:
        user.set_password(settings.DEMO_PASSWORD)
        user.is_staff = role == "clinic_admin"
        user.save()
        user.groups.add(Group.objects.get(name=role))
    return user


@transaction.atomic
def seed_core(*, patients: int = 200, rng: random.Random | None = None) -> dict:
    rng = rng or random.Random(2026)
    Clinic.objects.get_or_create(
        name="Maple Street Family Medicine",
        defaults={
            "address_line1": "120 Maple Street",
            "address_line2": "Suite 200",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62701",
            "phone": "217-555-0100",
            "tax_id": "37-1234567",
            "group_npi": _npi(23456789),
            "taxonomy": "207Q00000X",
            "timezone": settings.TIME_ZONE,
        },
    )
    users = {
        username: _user(username, first, last, role) for username, first, last, role in DEMO_USERS
    }
    Provider.objects.get_or_create(
        user=users["clinician"],
        defaults={
            "npi": _npi(12345678),
            "credentials": "MD",
            "taxonomy": "207Q00000X",
            "color": "#0d6efd",
        },
    )
    for index, (username, first, last, credentials, color) in enumerate(OTHER_PROVIDERS):
        user = _user(username, first, last, "clinician")
        Provider.objects.get_or_create(
            user=user,
            defaults={
                "npi": _npi(22345678 + index * 1111),
                "credentials": credentials,
                "taxonomy": "363LF0000X" if credentials == "NP" else "207Q00000X",
                "color": color,
            },
        )
    payers = []
    for name, payer_id, street, city, state, postal in PAYERS:
        payer, _ = Payer.objects.get_or_create(
            payer_id=payer_id,
            defaults={
                "name": name,
                "address_line1": street,
                "city": city,
                "state": state,
                "postal_code": postal,
            },
        )
        payers.append(payer)

    existing = Patient.objects.count()
    today = datetime.date.today()  # noqa: DTZ011 (demo data: the server's date is close enough)
    for index in range(existing, patients):
        sex = rng.choice([SexAtBirth.FEMALE, SexAtBirth.MALE])
        first = rng.choice(FIRST_NAMES_F if sex == SexAtBirth.FEMALE else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        born = today - datetime.timedelta(days=rng.randint(365 * 1, 365 * 92))
        city, postal = rng.choice(CITIES)
        patient = services.patient_register(
            data={
                "first_name": first,
                "last_name": last,
                "middle_name": rng.choice(["", "", "A.", "J.", "Marie", "Lee"]),
                "date_of_birth": born,
                "sex_at_birth": sex,
                "phone_mobile": f"217-555-{1000 + index:04d}",
                "email": f"{first}.{last}{index}@mail.example".lower().replace("'", ""),
                "address_line1": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
                "city": city,
                "state": "IL",
                "postal_code": postal,
                "preferred_language": rng.choice(LANGUAGES),
                "emergency_contact_name": f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} {last}",
                "emergency_contact_relationship": rng.choice(
                    ["Spouse", "Parent", "Sibling", "Friend"]
                ),
                "emergency_contact_phone": f"217-555-{6000 + index:04d}",
            },
            allow_duplicate=True,
        )
        if index % 10 == 9:
            continue  # about one patient in ten is self-pay
        age = patient.age_on(today)
        payer = payers[4] if age >= 65 else rng.choice(payers[:4])
        coverage = {
            "payer": payer,
            "member_id": f"{payer.payer_id[:2]}{rng.randint(10_000_000, 99_999_999)}",
            "group_number": "" if age >= 65 else f"G{rng.randint(1000, 9999)}",
            "priority": CoveragePriority.PRIMARY,
            "effective_from": datetime.date(today.year - rng.randint(0, 5), 1, 1),
        }
        if age < 18:
            coverage.update(
                relationship=SubscriberRelationship.CHILD,
                subscriber_first_name=rng.choice(FIRST_NAMES_F + FIRST_NAMES_M),
                subscriber_last_name=last,
                subscriber_date_of_birth=born - datetime.timedelta(days=365 * rng.randint(22, 40)),
                subscriber_sex=rng.choice([SexAtBirth.FEMALE, SexAtBirth.MALE]),
            )
        services.coverage_add(patient=patient, data=coverage)
    return {"users": users, "payers": payers}
