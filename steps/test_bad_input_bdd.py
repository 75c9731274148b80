"""Binds features/bad_input.feature."""

from pytest_bdd import scenarios

scenarios("bad_input.feature")
