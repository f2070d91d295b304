import importlib
import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from emr.celery import app as celery_app
from tests.factories import ClinicFactory, PatientFactory, ProviderFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# A queue of this run's own, so that a worker of a running `make run` never takes test tasks.
celery_app.conf.task_default_queue = f"emr-test-{os.getpid()}"

ROLES = ["front_desk", "clinician", "billing", "clinic_admin"]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory):
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def ensure_roles():
    """The role groups come from a data migration; a transactional test's flush removes them."""
    if Group.objects.filter(name__in=ROLES).count() < len(ROLES):
        from django.apps import apps

        for module in sorted(_role_migrations()):
            importlib.import_module(module).create_roles(apps, None)


def _role_migrations():
    return [
        f"{app}.migrations.{name[:-3]}"
        for app in ["emr", "scheduling", "charting", "billing"]
        for name in os.listdir(os.path.join(settings.BASE_DIR, app, "migrations"))
        if name.endswith("_roles.py")
    ]


@pytest.fixture
def roles(db):
    ensure_roles()


@pytest.fixture
def clinic(db):
    return ClinicFactory()


@pytest.fixture
def make_user(roles):
    def make(role: str | None = None, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def front_desk(make_user):
    return make_user("front_desk", username="frontdesk-test")


@pytest.fixture
def clinician(roles):
    return ProviderFactory(user__username="clinician-test").user


@pytest.fixture
def billing_user(make_user):
    return make_user("billing", username="billing-test")


@pytest.fixture
def clinic_admin(make_user):
    return make_user("clinic_admin", username="clinicadmin-test")


@pytest.fixture
def user_for_role(make_user, roles):
    def make(role: str):
        if role == "clinician":
            return ProviderFactory().user
        return make_user(role)

    return make


@pytest.fixture
def client_as(client, user_for_role):
    """A test client logged in with a fresh user of the given role."""

    def login(role: str):
        client.force_login(user_for_role(role))
        return client

    return login


@pytest.fixture
def patient(db):
    return PatientFactory(first_name="Maria", last_name="Gonzalez")


@pytest.fixture
def celery_worker():
    """A real Celery worker, in a thread, on the embedded (or configured) Redis broker."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        celery_app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as worker:
        yield worker


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def pytest_collection_modifyitems(config, items):
    # A browser test must run in CI, never skip silently: fail loudly when Chromium is missing.
    if any("e2e" in item.keywords for item in items) and not os.path.exists(CHROMIUM):
        raise pytest.UsageError(
            f"Browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium)."
        )
