"""Backup and restore of the console: its database and the files beside it, in one checked file.

    path = backup(settings)                 # writes <[backup] folder>/ops-backup-<UTC time>.tar.gz
    summary = restore(settings, path)       # refuses a damaged or newer file (BackupError, exit 2)

What a backup holds and leaves out: console.backup.filesets. The archive's
layout and manifest: console.backup.archive. Restoring stages everything,
verifies it, then swaps it in: console.backup.restore.
"""

from console.backup.archive import BackupError, backup
from console.backup.restore import RestoreSummary, restore

__all__ = ["BackupError", "RestoreSummary", "backup", "restore"]
