"""Reference models, not actors: :mod:`.hybrid`, the monolithic model of the hybrid Stirling /
reverse-Brayton cooler of Nellis & Maddocks (2003) that its co-simulated actors are checked
against, and :mod:`.hybrid_metrics`, the same cycle metrics taken from a co-simulation's
result."""
