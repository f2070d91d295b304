from django.urls import path

from charting import views

app_name = "charting"

urlpatterns = [
    path("encounters/unsigned/", views.unsigned_list, name="unsigned"),
    path("encounters/<int:pk>/", views.encounter_detail, name="encounter_detail"),
    path("encounters/<int:pk>/history/", views.encounter_history, name="encounter_history"),
    path("encounters/<int:pk>/vitals/", views.vitals_add, name="vitals_add"),
    path("encounters/<int:pk>/note/", views.note_autosave, name="note_autosave"),
    path("encounters/<int:pk>/note/template/", views.note_template, name="note_template"),
    path("encounters/<int:pk>/diagnoses/search/", views.diagnosis_search, name="diagnosis_search"),
    path("encounters/<int:pk>/diagnoses/", views.diagnosis_add, name="diagnosis_add"),
    path(
        "encounters/<int:pk>/diagnoses/<int:diagnosis_pk>/remove/",
        views.diagnosis_remove,
        name="diagnosis_remove",
    ),
    path(
        "encounters/<int:pk>/diagnoses/<int:diagnosis_pk>/move/",
        views.diagnosis_move,
        name="diagnosis_move",
    ),
    path("encounters/<int:pk>/procedures/", views.procedure_add, name="procedure_add"),
    path(
        "encounters/<int:pk>/procedures/<int:procedure_pk>/remove/",
        views.procedure_remove,
        name="procedure_remove",
    ),
    path("encounters/<int:pk>/sign/", views.encounter_sign, name="encounter_sign"),
    path("encounters/<int:pk>/addenda/", views.addendum_add, name="addendum_add"),
    path(
        "encounters/<int:pk>/visit-summary/",
        views.visit_summary_request,
        name="visit_summary",
    ),
    path("appointments/<int:appointment_pk>/start/", views.encounter_start, name="encounter_start"),
    path("patients/<int:patient_pk>/walk-in/", views.encounter_walk_in, name="walk_in"),
    path("patients/<int:patient_pk>/allergies/", views.allergy_list, name="allergies"),
    path(
        "patients/<int:patient_pk>/allergies/<int:item_pk>/status/",
        views.allergy_status,
        name="allergy_status",
    ),
    path("patients/<int:patient_pk>/problems/", views.problem_list, name="problems"),
    path(
        "patients/<int:patient_pk>/problems/<int:item_pk>/status/",
        views.problem_status,
        name="problem_status",
    ),
    path("patients/<int:patient_pk>/medications/", views.medication_list, name="medications"),
    path(
        "patients/<int:patient_pk>/medications/<int:item_pk>/status/",
        views.medication_status,
        name="medication_status",
    ),
    path("icd10/search/", views.icd10_search, name="icd10_search"),
    path("fee-schedule/", views.fee_schedule, name="fee_schedule"),
    path("fee-schedule/import/", views.fee_schedule_import, name="fee_schedule_import"),
]
