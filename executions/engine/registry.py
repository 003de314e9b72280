"""Map each step type name to its handler; an unknown name fails loudly."""

_handlers = {}


def register(handler_class):
    """Class decorator: register one handler instance under its `type_name`."""
    if handler_class.type_name in _handlers:
        raise ValueError(f"Step type {handler_class.type_name!r} is registered twice.")
    _handlers[handler_class.type_name] = handler_class()
    return handler_class


def get_handler(type_name):
    try:
        return _handlers[type_name]
    except KeyError:
        raise LookupError(f"No handler for step type {type_name!r}.") from None


def registered_types():
    return set(_handlers)
