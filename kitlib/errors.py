"""The kit's own errors: the message says what is wrong and what to do, and the `kit`
command prints it as it is (no traceback) and exits with status 2."""


class KitError(RuntimeError):
    """Something the user can fix: bad input, a missing file, a cluster that cannot start."""


class UsageError(KitError):
    """A command was called with arguments it cannot use."""
