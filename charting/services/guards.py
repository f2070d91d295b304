"""Locks and guards shared by the services that write an encounter or its parts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from charting.models import (
    SIGNED_MARKER,
    Encounter,
)
from emr.models import User

SIGNED_MESSAGE = "This encounter is signed and can no longer be changed. Add an addendum instead."


# --- Locks and guards -----------------------------------------------------------------------


def lock_encounter(encounter_id: int) -> Encounter:
    return Encounter.objects.select_for_update().get(pk=encounter_id)


def lock_open_encounter(encounter_id: int) -> Encounter:
    encounter = lock_encounter(encounter_id)
    if encounter.is_signed:
        raise ValidationError(SIGNED_MESSAGE, code="signed")
    return encounter


def is_signed_encounter_error(error: Exception) -> bool:
    return isinstance(error, IntegrityError) and SIGNED_MARKER in str(error)


def check_own(encounter: Encounter, by: User | None, action: str) -> None:
    if by is None or encounter.provider.user_id != by.pk:
        raise ValidationError(
            f"Only {encounter.provider}, the encounter's provider, can {action}.",
            code="not_own_encounter",
        )
