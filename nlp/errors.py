"""Errors the user should see as one clear line, never as a traceback."""


class NarrativeError(Exception):
    """A problem with the user's input or environment; the CLI prints it and exits 2."""

    exit_code = 2
