import itertools

import pytest
from django.utils import timezone

from emr.demo import seed_core
from scheduling.demo import seed_scheduling
from scheduling.models import LIVE_STATUSES, Appointment, AppointmentStatus, TimeOff, WorkingHours

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_two_weeks_around_today_once(roles):
    seed_core(patients=40)
    seed_scheduling()
    count = Appointment.objects.count()
    seed_scheduling()

    assert Appointment.objects.count() == count > 100
    now = timezone.now()
    today = timezone.localdate()
    days = {
        timezone.localtime(start).date()
        for start in Appointment.objects.values_list("start", flat=True)
    }
    assert min(days) < today < max(days)
    assert (max(days) - min(days)).days >= 12
    past = Appointment.objects.filter(end__lt=now - timezone.timedelta(minutes=30))
    future = Appointment.objects.filter(start__gt=now + timezone.timedelta(minutes=15))
    assert not past.filter(status=AppointmentStatus.BOOKED).exists()
    assert set(past.values_list("status", flat=True)) >= {
        AppointmentStatus.COMPLETED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    }
    assert set(future.values_list("status", flat=True)) <= {
        AppointmentStatus.BOOKED,
        AppointmentStatus.CANCELLED,
    }
    assert WorkingHours.objects.filter(weekday__lt=5).count() == 15
    assert TimeOff.objects.exists()
    # No two live appointments of a provider overlap (the services booked them all).
    live = list(Appointment.objects.filter(status__in=LIVE_STATUSES).order_by("provider", "start"))
    for earlier, later in itertools.pairwise(live):
        if earlier.provider_id == later.provider_id:
            assert earlier.end <= later.start
