"""The run journal: one typed record of a run that every output is built from."""

from chaosrun.journal.model import Journal, Verdict

__all__ = ["Journal", "Verdict"]
