"""The onboarding report's rendering, independent of pytest so it can be tested on its own.

``evidence`` collects what a scenario measured and turns it into report fragments; ``html``
builds escaped HTML fragments; ``figures`` draws PNGs (matplotlib only where a chart needs it,
imported lazily); ``secrets`` keeps credentials out of what the report shows.
Nothing here reaches a network: images are embedded as ``data:`` URIs and styles are inline, so
the report opens from disk on a machine with no connection.
"""
