"""Built-in faults.

Layout: one file per fault (``lambda_throttle.py``), and one thin provider module per service
(``awslambda.py``) holding the Chaos Toolkit functions experiments call. Nothing is imported
here: the registry imports a provider module when a run names it, and every module when it must
list them all (:func:`chaosrun.registry.load_plugins`).
"""
