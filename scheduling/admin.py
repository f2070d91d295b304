from django.contrib import admin

from emr.admin import NoDeleteHistoryAdmin
from scheduling.models import Appointment, AppointmentType, TimeOff, WorkingHours


@admin.register(AppointmentType)
class AppointmentTypeAdmin(NoDeleteHistoryAdmin):
    list_display = ["name", "duration_minutes", "color", "active"]
    list_filter = ["active"]
    search_fields = ["name"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(NoDeleteHistoryAdmin):
    list_display = ["provider", "weekday", "start", "end"]
    list_filter = ["provider", "weekday"]
    list_select_related = ["provider__user"]


@admin.register(TimeOff)
class TimeOffAdmin(NoDeleteHistoryAdmin):
    list_display = ["provider", "reason", "start", "end"]
    list_filter = ["provider"]
    list_select_related = ["provider__user"]
    date_hierarchy = "start"


@admin.register(Appointment)
class AppointmentAdmin(NoDeleteHistoryAdmin):
    """Read-only: booking rules live in scheduling.services, used by the app's own screens."""

    list_display = ["start", "patient", "provider", "appointment_type", "status"]
    list_filter = ["status", "provider", "appointment_type"]
    list_select_related = ["patient", "provider__user", "appointment_type"]
    search_fields = ["patient__mrn", "patient__last_name"]
    date_hierarchy = "start"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
