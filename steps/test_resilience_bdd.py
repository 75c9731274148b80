"""Binds features/resilience.feature."""

from pytest_bdd import scenarios

scenarios("resilience.feature")
