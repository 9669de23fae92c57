"""Error types of the console, each carrying what the user needs to act on it.

The CLI turns these into one line and an exit code; the API into a JSON body
with a status. Nothing else should catch them.

The rule manager (rules/, a library that imports nothing from the console)
has its own base, rules.errors.RulesError, with the same `exit_code` and
`http_status`; USER_ERRORS is what the CLI and the web error handler report
as a user's error.
"""

from rules.errors import RulesError


class OpsError(Exception):
    """Base of every error the console reports to a user."""

    exit_code = 1
    http_status = 400


class ConfigError(OpsError):
    """ops.toml (or an environment override) is not valid."""

    exit_code = 2

    def __init__(self, path, message, key=None, line=None):
        self.path, self.key, self.line, self.message = path, key, line, message
        where = str(path)
        if line:
            where += f":{line}"
        if key:
            where += f": {key}"
        super().__init__(f"{where}: {message}")


class InventoryError(OpsError):
    """The Ansible inventory cannot be read or contradicts itself."""

    exit_code = 2

    def __init__(self, path, message, line=None):
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


class ValidationFailed(OpsError):
    """Input from a form, the API or the CLI does not hold; names the field."""

    def __init__(self, field, message):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


class NotFound(OpsError):
    http_status = 404


class Conflict(OpsError):
    http_status = 409


class PermissionDenied(OpsError):
    """The acting user's role does not allow the action."""

    http_status = 403
    exit_code = 3


#: Every error reported to a user as one line and `exit_code` (CLI) or with `http_status` (web): the console's
#: own and the rule manager's.
USER_ERRORS: tuple[type[Exception], ...] = (OpsError, RulesError)
