"""Admin pages: the clinic admin manages note templates and the fee schedule here. Clinical
records are shown read-only once signed (Postgres refuses the change anyway), and nothing is
ever deleted."""

from django.contrib import admin

from charting.models import (
    Addendum,
    Allergy,
    ClinicalNote,
    DiagnosisCode,
    Encounter,
    EncounterDiagnosis,
    FeeScheduleEntry,
    Medication,
    NoteTemplate,
    Problem,
    ProcedureLine,
    Vitals,
)
from emr.admin import NoDeleteHistoryAdmin


@admin.register(NoteTemplate)
class NoteTemplateAdmin(NoDeleteHistoryAdmin):
    list_display = ["name", "active", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name"]


@admin.register(FeeScheduleEntry)
class FeeScheduleEntryAdmin(NoDeleteHistoryAdmin):
    list_display = ["code", "code_system", "description", "price", "active"]
    list_filter = ["active", "code_system"]
    search_fields = ["code", "description"]


@admin.register(DiagnosisCode)
class DiagnosisCodeAdmin(admin.ModelAdmin):
    """The code set comes from the CDC release (`manage.py load_icd10cm`): read-only here."""

    list_display = ["code", "description", "billable"]
    list_filter = ["billable"]
    search_fields = ["code"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SignedLockedAdmin(NoDeleteHistoryAdmin):
    """Parts of an encounter: changeable in the admin only while the encounter is open."""

    def _encounter(self, obj):
        return obj.encounter

    def has_change_permission(self, request, obj=None):
        if obj is not None and self._encounter(obj).is_signed:
            return False
        return super().has_change_permission(request, obj)


@admin.register(Encounter)
class EncounterAdmin(SignedLockedAdmin):
    list_display = ["date_of_service", "patient", "provider", "status", "signed_at"]
    list_filter = ["status"]
    list_select_related = ["patient", "provider__user"]
    raw_id_fields = ["patient", "appointment"]
    readonly_fields = ["status", "signed_at", "signed_by"]
    search_fields = ["patient__mrn", "patient__last_name"]
    show_full_result_count = False

    def _encounter(self, obj):
        return obj

    def has_add_permission(self, request):
        # Encounters start from an appointment or as a walk-in, through the charting pages.
        return False


@admin.register(ClinicalNote)
class ClinicalNoteAdmin(SignedLockedAdmin):
    list_display = ["encounter", "template", "updated_at"]
    list_select_related = ["encounter__patient", "encounter__provider__user", "template"]
    raw_id_fields = ["encounter"]

    def has_add_permission(self, request):
        return False


@admin.register(Vitals)
class VitalsAdmin(SignedLockedAdmin):
    list_display = ["encounter", "taken_at", "systolic_bp", "diastolic_bp", "pulse"]
    list_select_related = ["encounter__patient", "encounter__provider__user"]
    raw_id_fields = ["encounter"]

    def has_add_permission(self, request):
        return False


@admin.register(EncounterDiagnosis)
class EncounterDiagnosisAdmin(SignedLockedAdmin):
    list_display = ["encounter", "rank", "code"]
    list_select_related = ["encounter__patient", "encounter__provider__user", "code"]
    raw_id_fields = ["encounter", "code"]

    def has_add_permission(self, request):
        return False


@admin.register(ProcedureLine)
class ProcedureLineAdmin(SignedLockedAdmin):
    list_display = ["encounter", "fee_schedule_entry", "units", "modifiers", "diagnosis_pointers"]
    list_select_related = ["encounter__patient", "encounter__provider__user", "fee_schedule_entry"]
    raw_id_fields = ["encounter"]

    def has_add_permission(self, request):
        return False


@admin.register(Addendum)
class AddendumAdmin(NoDeleteHistoryAdmin):
    list_display = ["encounter", "author", "signed_at"]
    list_select_related = ["encounter__patient", "encounter__provider__user", "author"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Allergy)
class AllergyAdmin(NoDeleteHistoryAdmin):
    list_display = ["patient", "substance", "severity", "status"]
    list_filter = ["status", "severity"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]


@admin.register(Problem)
class ProblemAdmin(NoDeleteHistoryAdmin):
    list_display = ["patient", "code", "status", "onset_date", "resolved_date"]
    list_filter = ["status"]
    list_select_related = ["patient", "code"]
    raw_id_fields = ["patient", "code"]


@admin.register(Medication)
class MedicationAdmin(NoDeleteHistoryAdmin):
    list_display = ["patient", "name", "status", "start_date", "end_date"]
    list_filter = ["status"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]
