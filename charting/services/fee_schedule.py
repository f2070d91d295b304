"""The clinic's fee schedule, imported from CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models, transaction

from charting.models import (
    CodeSystem,
    FeeScheduleEntry,
)
from emr.models import User

# --- Fee schedule import --------------------------------------------------------------------

FEE_SCHEDULE_COLUMNS = ["code_system", "code", "description", "price", "active"]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_fee_row(row: dict) -> FeeScheduleEntry:
    code_system = (row.get("code_system") or "CPT").strip().upper()
    if code_system not in CodeSystem.values:
        raise ValidationError(f"code system “{code_system}” is not CPT or HCPCS")
    code = (row.get("code") or "").strip().upper()
    description = (row.get("description") or "").strip()
    if not description:
        raise ValidationError("the description is empty")
    raw_price = (row.get("price") or "").strip().lstrip("$").replace(",", "")
    try:
        price = Decimal(raw_price)
    except InvalidOperation:
        raise ValidationError(f"price “{row.get('price') or ''}” is not an amount") from None
    if not price.is_finite() or price < 0 or price != price.quantize(Decimal("0.01")):
        raise ValidationError(f"price “{raw_price}” must be zero or more, in dollars and cents")
    active_text = (row.get("active") or "yes").strip().lower()
    if active_text not in {"yes", "no", "true", "false", "1", "0", "y", "n"}:
        raise ValidationError(f"active “{active_text}” should be yes or no")
    entry = FeeScheduleEntry(
        code_system=code_system,
        code=code,
        description=description,
        price=price,
        active=active_text in {"yes", "true", "1", "y"},
    )
    entry.clean_fields()
    # The row's own rules (code format, price); whether the code exists is the caller's business.
    for constraint in FeeScheduleEntry._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            constraint.validate(FeeScheduleEntry, entry)
    return entry


@transaction.atomic
def fee_schedule_import(*, csv_text: str, by: User | None) -> ImportResult:
    """Add or update fee schedule entries from CSV (code_system, code, description, price,
    active). All or nothing: with any bad row, nothing is saved and every bad row is reported."""
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    headers = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ["code", "description", "price"] if name not in headers]
    if missing:
        result.errors.append((1, f"missing column(s): {', '.join(missing)}"))
        return result
    reader.fieldnames = headers
    entries: dict[tuple[str, str], tuple[int, FeeScheduleEntry]] = {}
    for line, row in enumerate(reader, start=2):
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        try:
            entry = _parse_fee_row(row)
        except ValidationError as error:
            result.errors.append((line, "; ".join(error.messages)))
            continue
        key = (entry.code_system, entry.code)
        if key in entries:
            result.errors.append((line, f"{entry.code} already appears on line {entries[key][0]}"))
            continue
        entries[key] = (line, entry)
    if not entries and not result.errors:
        result.errors.append((1, "the file has no rows"))
    if result.errors:
        return result
    existing = {
        (entry.code_system, entry.code): entry
        for entry in FeeScheduleEntry.objects.select_for_update().filter(
            code__in=[code for _system, code in entries]
        )
    }
    for key, (_line, entry) in entries.items():
        current = existing.get(key)
        if current is None:
            entry._history_user = by
            entry.save()
            result.created += 1
            continue
        fields = ["description", "price", "active"]
        if any(getattr(current, name) != getattr(entry, name) for name in fields):
            for name in fields:
                setattr(current, name, getattr(entry, name))
            current._history_user = by
            current.save()
            result.updated += 1
    return result
