"""Read audit: the AccessLog of chart views, downloads, exports, logins and failed logins."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest

from emr.models import AccessAction, AccessLog, Patient


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def access_log_write(
    *,
    request: HttpRequest | None,
    action: str,
    patient: Patient | None = None,
    obj: models.Model | None = None,
    description: str = "",
    user=None,
    username: str = "",
) -> AccessLog:
    """Append one entry to the access log."""
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    return AccessLog.objects.create(
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        action=action,
        patient=patient,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        description=description[:200],
        path=(request.get_full_path() if request is not None else "")[:300],
        ip_address=client_ip(request),
    )


# Django's auth signals are the only hook for logins that happen inside its views.
@receiver(user_logged_in)
def _log_login(sender, request, user, **kwargs):
    access_log_write(request=request, action=AccessAction.LOGIN, user=user)


@receiver(user_logged_out)
def _log_logout(sender, request, user, **kwargs):
    if user is not None:
        access_log_write(request=request, action=AccessAction.LOGOUT, user=user)


@receiver(user_login_failed)
def _log_login_failed(sender, credentials, request=None, **kwargs):
    access_log_write(
        request=request,
        action=AccessAction.LOGIN_FAILED,
        username=str(credentials.get("username", "")),
        description="wrong username or password",
    )
