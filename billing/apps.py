from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        from billing import documents  # noqa: F401  (registers the billing document renderers)
