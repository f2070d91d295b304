"""Field-level change history from django-simple-history records, for every History tab."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    what: str
    kind: str  # created, changed, removed
    changes: list[FieldChange] = field(default_factory=list)


def _display(record, field_name: str) -> str:
    model_field = record.instance_type._meta.get_field(field_name)
    value = getattr(record, model_field.attname, None)
    if value in (None, "", []):
        return ""
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    # A related object is named only when the query already loaded it (no query per row).
    if model_field.is_relation and model_field.is_cached(record):
        return str(getattr(record, field_name))
    return str(value)


def _who(record) -> str:
    user = record.history_user
    return f"{user.get_full_name() or user.username} ({user.username})" if user else "system"


def history_entries(records: Iterable, describe: Callable[[object], str]) -> list[HistoryEntry]:
    """One object's historical records, oldest first, as field-level entries."""
    entries = []
    previous = None
    for record in records:
        who, what = _who(record), describe(record)
        if record.history_type == "-":
            entries.append(HistoryEntry(record.history_date, who, what, "removed"))
        elif previous is None or record.history_type == "+":
            entries.append(HistoryEntry(record.history_date, who, what, "created"))
        else:
            delta = record.diff_against(previous, excluded_fields=["created_at", "updated_at"])
            changes = [
                FieldChange(
                    field=str(record.instance_type._meta.get_field(change.field).verbose_name),
                    old=_display(previous, change.field),
                    new=_display(record, change.field),
                )
                for change in delta.changes
            ]
            if changes:
                entries.append(HistoryEntry(record.history_date, who, what, "changed", changes))
        previous = record
    return entries


def history_entries_by_object(
    records: Iterable, describe: Callable[[object], str]
) -> list[HistoryEntry]:
    """Records of several objects (oldest first) as entries, each diffed against its own past."""
    by_object = defaultdict(list)
    for record in records:
        by_object[record.id].append(record)
    entries = []
    for group in by_object.values():
        entries += history_entries(group, describe)
    return entries


def newest_first(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    return sorted(entries, key=lambda entry: entry.when, reverse=True)
