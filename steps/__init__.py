"""pytest-bdd step definitions, one module per domain; test_scenarios.py binds every feature."""
