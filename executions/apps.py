from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ExecutionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "executions"

    def ready(self):
        from executions import checks, tasks  # noqa: F401  (system checks; actors declared on the broker)
        from orchestration_site.roles import refresh_roles_after_migrate

        post_migrate.connect(refresh_roles_after_migrate, dispatch_uid="orchestration_roles")
