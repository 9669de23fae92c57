"""Which of the console's files a backup holds, and which it deliberately leaves out.

Held (each under files/<name>/ in the archive, restored to wherever this
console's settings put it, so a restore onto a machine with other paths works):

- secret_key: <[paths] var_dir>/secret_key, the generated key that signs
  sessions and CSRF tokens (absent when ops.toml or OPS_SECRET_KEY gives one);
- evidence: <var_dir>/evidence, the manual evidence documents the
  compliance area stores (the database rows name them);
- compliance-reports: [compliance] report_dir, the reports of past runs,
  dossiers and annual reports;
- rules: [rules] var_dir, the ruleset versions (versions/<n>/, the `active`
  link, the candidate and the last rule-test results) the database's
  ruleset rows refer to; its downloads/ (a cache of the sources) is left out.

Left out (caches, runtime state, or another program's state):
- tasks.db: the embedded task queue's pending work (a restored console starts
  with an empty queue; the tasks' rows in the database say what ran);
- jobs/ ([jobs] private_data_dir): ansible-runner's working folders, while a
  job runs (job output and results are in the database);
- prometheus/: the metrics of running gunicorn workers;
- backups/ (the backup folder itself), lab/, demo-*/ (the demo's lab, UPS,
  mailbox and KSC replay) and the local agent's state_dir (the agent's own
  key and spool: it re-enrols after a restore onto a new machine);
- names starting with "." anywhere: staging and temporary files of writes
  in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LEFT_OUT = ("tasks.db", "jobs/", "prometheus/", "backups/", "lab/", "demo-*/", "agent state_dir",
            "rules/downloads/", "hidden staging files")


@dataclass(frozen=True)
class FileSet:
    name: str
    path: Path
    skip_top: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return f"files/{self.name}"


def file_sets(settings) -> list[FileSet]:
    var_dir = settings.paths.var_dir
    return [
        FileSet("secret_key", var_dir / "secret_key"),
        FileSet("evidence", var_dir / "evidence"),
        FileSet("compliance-reports", settings.compliance.report_dir),
        FileSet("rules", settings.rules.var_dir, skip_top=("downloads",)),
    ]


def walk(file_set: FileSet):
    """(relative path, absolute path) of every regular file and symlink of the set, sorted; nothing if absent."""
    root = file_set.path
    if root.is_symlink() or root.is_file():
        yield "", root
        return
    if not root.is_dir():
        return
    yield from _walk_dir(root, root, file_set.skip_top)


def _walk_dir(root: Path, folder: Path, skip_top: tuple[str, ...]):
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if folder == root and entry.name in skip_top:
            continue
        relative = entry.relative_to(root).as_posix()
        if entry.is_symlink() or entry.is_file():
            yield relative, entry
        elif entry.is_dir():
            yield from _walk_dir(root, entry, skip_top)
