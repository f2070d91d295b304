import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from charting.models import Encounter
from scheduling.models import AppointmentStatus
from tests.charting.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def _now_slot() -> datetime.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


def test_my_day_starts_the_visit_of_a_checked_in_patient_in_one_click(client, clinician):
    appointment = AppointmentFactory(provider=clinician.provider, start=_now_slot())
    client.force_login(clinician)
    start_url = reverse("charting:encounter_start", args=[appointment.pk])

    my_day = client.get(reverse("scheduling:my_day")).content.decode()
    response = client.post(start_url)

    assert f'action="{start_url}"' in my_day
    encounter = Encounter.objects.get(appointment=appointment)
    assert response.status_code == 302
    assert response.url == encounter.get_absolute_url()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.IN_ROOM


def test_my_day_offers_no_start_button_for_another_clinicians_patient(client, clinician, roles):
    appointment = AppointmentFactory(start=_now_slot())
    client.force_login(clinician)

    html = client.get(
        reverse("scheduling:my_day"), {"provider": appointment.provider_id}
    ).content.decode()

    assert reverse("charting:encounter_start", args=[appointment.pk]) not in html
