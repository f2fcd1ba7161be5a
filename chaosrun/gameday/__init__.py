"""Game days: plans, live runs, schedules and the resilience score."""
