"""Loading and validating experiment files (Chaos Toolkit format plus our ``chaosrun`` block)."""

# Import the fault package before anything pulls in chaosrun.journal: journal.model imports
# faults.base, whose package __init__ imports the providers, which import journal.model again.
# Entering through chaosrun.faults first resolves that cycle.
import chaosrun.faults  # noqa: F401
