"""The step engine: pure policy modules, one module per step type, and the runner that persists."""
