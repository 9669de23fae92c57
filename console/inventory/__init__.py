"""The estate as the Ansible inventory describes it: the reader (pure), the sync into the database and the host queries.

Other areas may call `hosts.active_host / active_hosts / active_host_addresses / get_host / list_hosts /
unit_labels / role_labels` and `reader.read_inventory`; an area above registers a part of the inventory it keeps with
`sync.register_part` (compliance: the information systems). The models in `console.models.inventory` are this
area's own.
"""

__all__ = ["config", "hosts", "reader", "sync"]
