"""Emulated services, shipped like moto ships its mocks.

Each IBM service is split as moto splits its services: ``models.py`` holds the state,
``responses.py`` one short handler per API operation, ``urls.py`` the routing table. The
:mod:`routing` module turns a routing table into a transport-free router, and :mod:`transport`
serves a router either in-process on ``responses`` or over HTTP on 127.0.0.1.
"""
