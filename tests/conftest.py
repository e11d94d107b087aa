"""Shared fixtures: small, seeded runs reused across tests."""

import pytest

from sim.runner import simulate
from sim.scenario import load_scenario


@pytest.fixture(scope="session")
def baseline():
    """The shipped baseline scenario."""
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def baseline_run():
    """300 baseline worlds over 365 days, seed 11."""
    return simulate("baseline", n_worlds=300, seed=11)
