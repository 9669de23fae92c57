"""Jobs, host results and events as plain dicts: the one shape the API and the CLI print."""

from __future__ import annotations

from console.common.time import iso
from console.models.jobs import Job, JobEvent, JobHostResult



def job_as_dict(job: Job, with_hosts: bool = False) -> dict:
    data = {
        "id": job.id, "playbook": job.playbook, "limit": job.limit, "tags": job.tags, "check": job.check_mode,
        "extravars": job.extravars, "state": job.state.value, "started_by": job.started_by,
        "created_at": iso(job.created_at), "started_at": iso(job.started_at), "finished_at": iso(job.finished_at),
        "cancel_requested_by": job.cancel_requested_by or None, "return_code": job.return_code,
        "error_message": job.error_message, "hosts": job.host_count, "event_count": job.event_count,
        "counts": {"ok": job.ok_count, "changed": job.changed_count, "failed": job.failed_count,
                   "unreachable": job.unreachable_count, "skipped": job.skipped_count},
    }
    if with_hosts:
        data["host_results"] = [host_result_as_dict(r) for r in job.host_results]
    return data


def host_result_as_dict(result: JobHostResult) -> dict:
    return {"host": result.host, "status": result.status, "ok": result.ok, "changed": result.changed,
            "failed": result.failed, "unreachable": result.unreachable, "skipped": result.skipped,
            "last_error": result.last_error}


def event_as_dict(event: JobEvent) -> dict:
    return {"seq": event.seq, "event": event.event_type, "host": event.host, "task": event.task,
            "outcome": event.outcome, "stdout": event.stdout, "created_at": iso(event.created_at)}
