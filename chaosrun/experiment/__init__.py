"""Loading and validating experiment files (Chaos Toolkit format plus our ``chaosrun`` block)."""
