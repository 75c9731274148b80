"""Binds features/serving.feature."""

from pytest_bdd import scenarios

scenarios("serving.feature")
