"""Binds features/onboarding.feature."""

from pytest_bdd import scenarios

scenarios("onboarding.feature")
