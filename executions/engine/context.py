"""The variables a step sees: input, earlier outputs, extracted variables, config, item, error."""

from functools import cached_property

from executions.engine.errors import STEP_ERROR, StepError
from executions.engine.resolver import MISSING, dig, split_path
from orchestration_site.masking import SECRET_MASK, mask, secret_strings  # noqa: F401  (one masking mechanism, re-exported)
from workflows.crypto import SecretUnreadable


class ConfigStore:
    """Config values by key; `config.a.b` finds key `a` holding {"b": …} or key `a.b`."""

    def __init__(self, values, secret_keys=()):
        self.values = values
        self.secret_keys = set(secret_keys)

    def lookup(self, segments):
        # Longest key first, so a key "carrierA.apiKey" wins over descending into "carrierA".
        for cut in range(len(segments), 0, -1):
            key = ".".join(segments[:cut])
            if key in self.values:
                if isinstance(self.values[key], SecretUnreadable):
                    raise StepError(STEP_ERROR, f"Config value {key!r} cannot be read: {self.values[key]}")
                return dig(self.values[key], segments[cut:])
        return MISSING

    def secrets(self):
        """Return every string held by a secret value, for masking (the same strings the records mask)."""
        found = set()
        for key in self.secret_keys:
            if key in self.values:
                found |= secret_strings(self.values[key])
        return found


class Context:
    """The namespace `{{…}}` reads; later layers shadow earlier ones.

    Order, weakest first: input fields, step results by id, extracted variables, then
    `item`/`index` in a FOR_EACH and `error` in a handler. `config` always means the config
    store, `input` the workflow input and `steps` the step results, whatever else is named so.
    """

    def __init__(self, *, input=None, config=None, results=(), extras=None):
        self.input = input or {}
        self.config = config or ConfigStore({})
        self._results = results
        self.extras = extras or {}

    @cached_property
    def _layers(self):
        """(names, steps, variables), read when a lookup first needs them: a step whose config
        names only `config`, `input`, `item` or nothing never queries the earlier results."""
        names = dict(self.input) if isinstance(self.input, dict) else {}
        steps, variables = {}, {}
        for step_id, output, step_variables in self._results:
            entry = {"output": output}
            steps[step_id] = names[step_id] = entry
            # Variables live in their own layer: a step finishing later must not hide one that
            # an earlier step extracted under the same name as its id.
            variables.update(step_variables or {})
        return names, steps, variables

    def with_extras(self, extras):
        """Return a view of this context with `item`, `index` or `error` layered on top."""
        child = Context.__new__(Context)
        child.__dict__.update(self.__dict__)
        child.extras = {**self.extras, **extras}
        return child

    def lookup(self, path):
        segments = split_path(path)
        if not segments:
            return MISSING
        head = segments[0]
        if head == "config":
            return self.config.lookup(segments[1:]) if len(segments) > 1 else MISSING
        if head == "input":
            return dig(self.input, segments[1:])
        if head in self.extras:
            return dig(self.extras[head], segments[1:])
        names, steps, variables = self._layers
        if head == "steps":
            if len(segments) > 1 and segments[1] in steps:
                return _step_result(steps[segments[1]], segments[2:])
            return dig(steps, segments[1:])
        if head in variables:
            return dig(variables[head], segments[1:])
        if head in steps:
            return _step_result(steps[head], segments[1:])
        if head in names:
            return dig(names[head], segments[1:])
        return MISSING


# What an HTTP step's output holds beside its body (`truncated` and `extracted` when they apply).
HTTP_OUTPUT_FIELDS = frozenset({"status", "headers", "body", "truncated", "extracted"})


def _step_result(entry, segments):
    """Read a step result; `output.<field>` that an HTTP output lacks reads its body's `<field>`.

    The spec writes `{{step_1.output.data.id}}` for a field of the response body, which the
    output holds as `output.body.data.id` (beside `status` and `headers`).
    """
    found = dig(entry, segments)
    output = entry["output"]
    if (
        found is MISSING
        and len(segments) > 1
        and segments[0] == "output"
        and isinstance(output, dict)
        and "body" in output
        and "status" in output
        and segments[1] not in HTTP_OUTPUT_FIELDS
    ):
        return dig(output["body"], segments[1:])
    return found
