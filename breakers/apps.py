from django.apps import AppConfig


class BreakersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "breakers"
