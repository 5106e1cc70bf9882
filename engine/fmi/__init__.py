"""FMI 2.0 co-simulation: export actors as FMUs (pythonfmu) and run FMUs as actors (fmpy)."""
