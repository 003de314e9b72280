"""Triggers: what starts a workflow (execute endpoint, admin, webhook, schedule, event).

Every start goes through `firings.firing_create`, which records a TriggerFiring and the
execution in one transaction; the firing's unique constraints make each firing happen once.
One module per trigger kind holds its logic; views and commands only call these functions.
"""
