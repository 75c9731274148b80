"""Step definitions, one module per domain, and the test modules binding each feature."""
