pytest_plugins = ["tests.fixtures.snmpd"]
