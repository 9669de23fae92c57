"""The lab's one error type."""

from console.errors import OpsError


class LabError(OpsError):
    """A lab could not be made, found or removed; the message names the step and the command's own words."""

    exit_code = 2
