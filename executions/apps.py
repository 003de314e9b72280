from django.apps import AppConfig


class ExecutionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "executions"

    def ready(self):
        from executions import checks, tasks  # noqa: F401  (system checks; actors declared on the broker)
