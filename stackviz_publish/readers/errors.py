"""The one exception readers raise: its message is one line, fit for a user."""


class ReadError(Exception):
    """An input that cannot be read at all (a damaged one is read with warnings)."""
