from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.day_view, name="day"),
    path("week/", views.week_view, name="week"),
    path("today/", views.today, name="today"),
    path("my-day/", views.my_day, name="my_day"),
    path("find/", views.find_slots, name="find"),
    path("book/", views.book, name="book"),
    path("book/patients/", views.patient_search, name="patient_search"),
    path("day-list/", views.day_list_request, name="day_list"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path(
        "appointments/<int:pk>/reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path(
        "appointments/<int:pk>/check-in/", views.appointment_check_in, name="appointment_check_in"
    ),
    path("appointments/<int:pk>/status/", views.appointment_set_status, name="appointment_status"),
]
