import pytest
from django.conf import settings
from django.core.management import call_command

from billing.models import Claim, Payment
from charting.models import Encounter, EncounterStatus
from emr.models import Patient, Provider, User
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def _counts():
    return [
        model.objects.count()
        for model in (Patient, Provider, Appointment, Encounter, Claim, Payment)
    ]


def test_seed_demo_builds_every_layer_once_with_the_demo_logins(roles):
    call_command("seed_demo", patients=30, days=3, history_patients=1, stdout=None)
    first = _counts()
    call_command("seed_demo", patients=30, days=3, history_patients=1, stdout=None)

    assert _counts() == first
    patients, providers, appointments, encounters, claims, payments = first
    assert (patients, providers) == (30, 3)
    assert appointments > 20 and encounters > 0 and claims > 0 and payments > 0
    assert Encounter.objects.filter(status=EncounterStatus.SIGNED).exists()
    for username, role in [
        ("frontdesk", "front_desk"),
        ("clinician", "clinician"),
        ("billing", "billing"),
        ("clinicadmin", "clinic_admin"),
    ]:
        user = User.objects.get(username=username)
        assert user.check_password(settings.DEMO_PASSWORD)
        assert user.primary_role == role
    assert User.objects.get(username="clinician").provider.active
