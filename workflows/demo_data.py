"""The spec's three example workflows, pointed at the built-in demo services."""

import json
from pathlib import Path

from workflows.library import template_render

EXAMPLES_FILE = Path(__file__).with_name("examples.json")


def spec_examples():
    """Return the spec's three example workflows verbatim."""
    return json.loads(EXAMPLES_FILE.read_text())


def demo_workflows(base_url):
    """Return the spec's examples from the templates library, with their URLs on `base_url`."""
    base_url = base_url.rstrip("/")
    parameters = {
        "lead-submission": {
            "leadsUrl": f"{base_url}/demo/leads",
            "carrierAUrl": f"{base_url}/demo/carriers/a/leads",
            "carrierBUrl": f"{base_url}/demo/carriers/b/leads",
            "carrierCUrl": f"{base_url}/demo/carriers/c/leads",
            "webhookUrl": f"{base_url}/demo/webhook",
        },
        "quote-comparison": {
            "quoteAUrl": f"{base_url}/demo/quotes/a",
            "quoteBUrl": f"{base_url}/demo/quotes/b",
            "quoteCUrl": f"{base_url}/demo/quotes/c",
        },
        "conditional-lead-routing": {"assignmentsUrl": f"{base_url}/demo/assignments"},
    }
    workflows = []
    for slug, values in parameters.items():
        workflow = template_render(slug, values, status="ACTIVE")
        workflow["description"] = "Demo: the spec's example, served by the built-in demo endpoints."
        workflows.append(workflow)
    return workflows


DEMO_CONFIG = [
    {
        "key": "carrierA",
        "value": {"apiKey": "demo-carrier-a-key"},
        "is_secret": True,
        "description": "Carrier A's API key (demo).",
    },
]
