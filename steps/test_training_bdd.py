"""Binds features/training.feature."""

from pytest_bdd import scenarios

scenarios("training.feature")
