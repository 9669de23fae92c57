"""Information systems by level: the inventory's `ops_system` definitions (`reader`), their sync and queries (`service`),
the admin edit written back to group_vars (`edit`), assessment against the frameworks' requirements (`assessment`)
and manual evidence (`manual_evidence`).

Other areas may call `service.list_systems / get_system / system_of_host / system_of_address` and `assessment`'s read functions.
"""

__all__ = ["reader", "service"]
