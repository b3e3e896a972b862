"""The pytest plugin: services, browser, citizens and reporting, loaded by the root conftest's `pytest_plugins`."""
