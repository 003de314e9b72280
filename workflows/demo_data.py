"""The spec's three example workflows, pointed at the built-in demo services."""

import copy
import json
from pathlib import Path

EXAMPLES_FILE = Path(__file__).with_name("examples.json")


def spec_examples():
    """Return the spec's three example workflows verbatim."""
    return json.loads(EXAMPLES_FILE.read_text())


def demo_workflows(base_url):
    """Return the examples with their URLs on `base_url`, example 2 completed so it runs."""
    base_url = base_url.rstrip("/")
    lead, quotes, routing = copy.deepcopy(spec_examples())
    replacements = {
        "https://api.internal.com/leads/": f"{base_url}/demo/leads/",
        "https://api.internal.com/assignments": f"{base_url}/demo/assignments",
        "https://carrier-a.com/api/leads": f"{base_url}/demo/carriers/a/leads",
        "https://carrier-b.com/api/leads": f"{base_url}/demo/carriers/b/leads",
        "https://carrier-c.com/api/leads": f"{base_url}/demo/carriers/c/leads",
        "https://webhook.site/notify": f"{base_url}/demo/webhook",
    }
    for workflow in (lead, routing):
        for step in workflow["steps"]:
            url = step["config"].get("url", "")
            for old, new in replacements.items():
                url = url.replace(old, new)
            if "url" in step["config"]:
                step["config"]["url"] = url
    # Each demo carrier gets a circuit breaker of its own (they share one host here).
    for step in lead["steps"]:
        if step["id"] in ("step_3a", "step_3b", "step_3c"):
            step["config"]["serviceId"] = f"carrier-{step['id'][-1]}-api"
    # Example 2 names quote_a..c without defining them: add them, and collect their quotes.
    quotes["steps"][0]["config"]["outputVariable"] = "quotes"
    quotes["steps"][1]["config"]["transformations"][1]["config"]["resultField"] = "bestQuote"
    for letter in "abc":
        quotes["steps"].append(
            {
                "id": f"quote_{letter}",
                "name": f"Quote from Carrier {letter.upper()}",
                "type": "HTTP_REQUEST",
                "order": 1,
                "config": {
                    "method": "GET",
                    "url": f"{base_url}/demo/quotes/{letter}",
                    "extractResponse": {"type": "JSON_PATH", "path": "data"},
                },
            }
        )
    routing["triggers"] = [{"type": "MANUAL", "config": {}, "isEnabled": True}]
    quotes["triggers"] = [{"type": "MANUAL", "config": {}, "isEnabled": True}]
    for workflow in (lead, quotes, routing):
        workflow["description"] = "Demo: the spec's example, served by the built-in demo endpoints."
    return [lead, quotes, routing]


DEMO_CONFIG = [
    {
        "key": "carrierA",
        "value": {"apiKey": "demo-carrier-a-key"},
        "is_secret": True,
        "description": "Carrier A's API key (demo).",
    },
]
