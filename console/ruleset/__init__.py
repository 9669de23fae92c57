"""The console side of the IDS rule manager: versions, builds, deploys and sensor status (the `rules/` library does the work).

`service` is the facade (build, activate, rollback, suppress, disable, status);
`operations` runs the rule manager's longer work (deploy, test, update);
`deploy_ansible` reaches a sensor of kind `ansible` through a playbook job.

Other areas may call `service.ruleset_status`, `service.suppress` and `service.disable`.
The models in `console.models.rules` are this area's own.
"""

__all__ = ["operations", "preview", "service"]
