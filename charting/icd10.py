"""Load the ICD-10-CM code set from the `simple-icd-10-cm` package into DiagnosisCode.

The package loads the whole CDC release into memory (about 2 s, 190 MB) when imported, so it
is imported only here, inside the loader, which runs in a management command: never in a web
process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, transaction

from charting.models import DiagnosisCode

BATCH_SIZE = 5000


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int
    billable: int
    seconds: float

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def icd10cm_release() -> list[tuple[str, str, bool]]:
    """Every category and subcategory of the release: (code with dot, description, billable).

    A few codes (B20, F99, P84, R99, Z66) are also blocks of their own and come twice out of
    `get_all_codes`: each is kept once.
    """
    import simple_icd_10_cm as cm

    codes = dict.fromkeys(
        code for code in cm.get_all_codes(True) if cm.is_category_or_subcategory(code)
    )
    return [(code, cm.get_description(code), cm.is_leaf(code)) for code in codes]


@transaction.atomic
def icd10cm_load(*, release: list[tuple[str, str, bool]] | None = None) -> LoadResult:
    """Insert new codes and update changed ones; running it again changes nothing.

    Codes that left the release stay in the table: old encounters and problems refer to them.
    """
    started = time.monotonic()
    release = icd10cm_release() if release is None else release
    existing = {
        code: (description, billable)
        for code, description, billable in DiagnosisCode.objects.values_list(
            "code", "description", "billable"
        )
    }
    created = updated = 0
    changed = []
    for code, description, billable in release:
        description = description[:300]
        before = existing.get(code)
        if before == (description, billable):
            continue
        if before is None:
            created += 1
        else:
            updated += 1
        changed.append(DiagnosisCode(code=code, description=description, billable=billable))
    for start in range(0, len(changed), BATCH_SIZE):
        DiagnosisCode.objects.bulk_create(
            changed[start : start + BATCH_SIZE],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["description", "billable"],
        )
    if changed:
        # Fresh statistics, so the planner picks the search indexes at once rather than
        # after autovacuum gets round to the table.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DiagnosisCode._meta.db_table}")
    return LoadResult(
        created=created,
        updated=updated,
        unchanged=len(release) - created - updated,
        billable=sum(1 for _code, _description, billable in release if billable),
        seconds=time.monotonic() - started,
    )
