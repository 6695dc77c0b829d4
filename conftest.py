"""Root conftest: the harness's pytest plugins, loaded for every test run from the checkout."""

pytest_plugins = [
    "fixtures.apiserver.pytest_plugin",
    "fixtures.clusters.pytest_plugin",
]
