"""A minimal viewflow.workflow approval flow (start, approval View, If, End): the reference the
engine's transition throughput is measured beside (bench/transitions.py). Bench settings only."""
