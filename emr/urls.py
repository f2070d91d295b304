from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import include, path

from emr import views
from emr.forms import LoginForm


def _admin_login(request, extra_context=None):
    """Staff sign in on the app's own page; the admin site has no login page of its own."""
    if request.user.is_authenticated:
        raise PermissionDenied  # signed in, but not staff
    return redirect_to_login(request.GET.get("next", "/admin/"))


admin.site.login = _admin_login
admin.site.site_header = "Clinic EMR administration"
admin.site.site_title = "Clinic EMR admin"

patient_urls = (
    [
        path("", views.patient_list, name="list"),
        path("new/", views.patient_register, name="register"),
        path("<int:pk>/", views.patient_detail, name="detail"),
        path("<int:pk>/edit/", views.patient_edit, name="edit"),
        path("<int:pk>/deactivate/", views.patient_deactivate, name="deactivate"),
        path("<int:pk>/reactivate/", views.patient_reactivate, name="reactivate"),
        path("<int:pk>/history/", views.patient_history, name="history"),
        path("<int:pk>/face-sheet/", views.face_sheet_request, name="face_sheet"),
        path("<int:pk>/coverage/new/", views.coverage_add, name="coverage_add"),
        path(
            "<int:pk>/coverage/<int:coverage_pk>/edit/", views.coverage_edit, name="coverage_edit"
        ),
        path(
            "<int:pk>/coverage/<int:coverage_pk>/end/",
            views.coverage_inactivate,
            name="coverage_inactivate",
        ),
    ],
    "patients",
)

document_urls = (
    [
        path("<int:pk>/", views.document_detail, name="detail"),
        path("<int:pk>/download/", views.document_download, name="download"),
    ],
    "documents",
)

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("patients/", include(patient_urls)),
    path("documents/", include(document_urls)),
    path("schedule/", include("scheduling.urls")),
    path("charting/", include("charting.urls")),
    path("billing/", include("billing.urls")),
    path("audit/access-log/", views.access_log, name="access_log"),
    path("admin/", admin.site.urls),
]
