"""Row locks for the scheduling services, always taken in one order so that two requests
never wait on each other in a circle: providers (by pk), then the patient, then the appointment.
"""

from __future__ import annotations

from emr.models import Patient, Provider
from scheduling.models import Appointment


def lock_providers(*provider_ids: int) -> dict[int, Provider]:
    providers = (
        Provider.objects.select_for_update(no_key=True)
        .filter(pk__in=set(provider_ids))
        .order_by("pk")
    )
    return {provider.pk: provider for provider in providers}


def lock_patient(patient_id: int) -> Patient:
    return Patient.objects.select_for_update(no_key=True).get(pk=patient_id)


def lock_appointment(appointment_id: int) -> Appointment:
    return Appointment.objects.select_for_update(no_key=True).get(pk=appointment_id)
