"""Reference models, not actors: :mod:`.hybrid`, the monolithic model of the hybrid Stirling /
reverse-Brayton cooler of Nellis & Maddocks (2003) that its co-simulated actors are checked
against."""
