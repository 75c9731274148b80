"""The onboarding report's rendering, independent of pytest so it can be tested on its own.

``evidence`` collects what a scenario measured and turns it into report fragments, built as
escaped HTML by one module per kind of evidence: ``html`` (each scenario's steps, the gate's
banner, the run's summary), ``html_metrics`` (metrics and disparate impact against thresholds),
``html_model`` (confusion matrix, sample predictions, training metrics), ``html_cloud`` (cloud
resources, the Factsheets model asset) and ``html_pack`` (an evidence pack's summary), from the
building blocks of ``html_base``; ``figures`` draws PNGs (matplotlib only where a chart needs it,
imported lazily); ``secrets`` keeps credentials out of what the report shows.
Nothing here reaches a network: images are embedded as ``data:`` URIs and styles are inline, so
the report opens from disk on a machine with no connection.
"""
