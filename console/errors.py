"""Error types of the console, each carrying what the user needs to act on it.

The CLI turns these into one line and an exit code; the API into a JSON body
with a status. Nothing else should catch them.
"""


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
