"""Sign-in with the department's directory (LDAP / Active Directory), roles from its groups.

- `config`: the `[auth.ldap]` section of ops.toml (`LdapSettings`, `AuthSettings`);
- `client`: the directory itself through ldap3: the service-account bind, the user search, the user's bind,
  the groups (memberOf, AD's LDAP_MATCHING_RULE_IN_CHAIN, or a group search), with bounded timeouts;
- `roles`: groups to a console role (pure);
- `accounts`: the console side: `DirectorySignIn` (what `users.authenticate` calls for directory accounts),
  `recheck_all` (the scheduler's look at every directory account) and `lookup` (`ops auth ldap test`);
- `schedule`: the scheduler's job that runs `recheck_all` every recheck_minutes.
"""
