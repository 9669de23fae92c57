"""The few helpers every area shares: time formatting and parsing in the console's zone (`time`), keyset paging and
get-or-404 (`paging`), the rules every waiver keeps (`waivers`)."""
