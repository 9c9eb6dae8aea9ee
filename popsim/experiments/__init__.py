"""Clinical experiments built on :mod:`popsim.study` (one module per question in shared/science/mission.md)."""
