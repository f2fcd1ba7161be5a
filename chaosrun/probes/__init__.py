"""Built-in probes.

Layout: one file per probe (``http_endpoint.py``), and one thin provider module per service
(``http.py``, ``awslambda.py`` ...) holding the Chaos Toolkit functions experiments call.
Nothing is imported here: the registry imports a provider module when a run names it, and every
module when it must list them all (:func:`chaosrun.registry.load_plugins`).
"""
