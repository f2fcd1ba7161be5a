"""AWS plumbing shared by faults and probes: injected clients, target selection, lock tags."""
