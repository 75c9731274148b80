"""The Watson OpenScale emulator, route by route, through the real SDK call that uses each route.

A package so that its test modules import the helpers of its conftest.py.
"""
