from tests.fixtures.service_net import module_service_net, service_net  # noqa: F401 (fixtures)
