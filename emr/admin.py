from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.cache import cache
from simple_history.admin import SimpleHistoryAdmin

from emr.context_processors import CLINIC_NAME_KEY
from emr.models import AccessLog, Clinic, Coverage, Document, Patient, Payer, Provider, User


class NoDeleteHistoryAdmin(SimpleHistoryAdmin):
    """Clinical and billing records are inactivated, never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(User)
class UserAdmin(DjangoUserAdmin, NoDeleteHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "email", "is_active", "role_list"]
    list_filter = ["is_active", "groups"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser may hand out superuser status or permissions outside the roles.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    @admin.display(description="roles")
    def role_list(self, user):
        return ", ".join(group.name for group in user.groups.all())


@admin.register(Clinic)
class ClinicAdmin(NoDeleteHistoryAdmin):
    list_display = ["name", "phone", "tax_id", "group_npi", "timezone"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Clinic.objects.exists()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        cache.delete(CLINIC_NAME_KEY)


@admin.register(Provider)
class ProviderAdmin(NoDeleteHistoryAdmin):
    list_display = ["__str__", "npi", "taxonomy", "active"]
    list_filter = ["active"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    search_fields = ["user__first_name", "user__last_name", "npi"]


@admin.register(Payer)
class PayerAdmin(NoDeleteHistoryAdmin):
    list_display = ["name", "payer_id", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "payer_id"]


@admin.register(Patient)
class PatientAdmin(NoDeleteHistoryAdmin):
    list_display = ["mrn", "last_name", "first_name", "date_of_birth", "active"]
    list_filter = ["active"]
    search_fields = ["mrn", "last_name", "first_name"]
    readonly_fields = ["mrn"]
    show_full_result_count = False


@admin.register(Coverage)
class CoverageAdmin(NoDeleteHistoryAdmin):
    list_display = [
        "patient",
        "payer",
        "member_id",
        "priority",
        "effective_from",
        "effective_to",
        "active",
    ]
    list_select_related = ["patient", "payer"]
    list_filter = ["active", "priority", "payer"]
    raw_id_fields = ["patient"]
    search_fields = ["member_id", "patient__mrn", "patient__last_name"]


@admin.register(Document)
class DocumentAdmin(NoDeleteHistoryAdmin):
    list_display = ["title", "kind", "status", "requested_by", "created_at", "completed_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["requested_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: the access log is append-only everywhere (Postgres enforces it too)."""

    list_display = ["timestamp", "username", "action", "patient", "description", "ip_address"]
    list_filter = ["action"]
    list_select_related = ["patient"]
    search_fields = ["username", "patient__mrn"]
    date_hierarchy = "timestamp"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
