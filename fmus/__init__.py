"""The cryogenic subsystem models.

* ``fmus/*.py`` -- the actors: every module here holds the actor classes that scenarios name
  (``model = "screw_compressor"``), registered under the ``cryocosim.models`` entry-point group
  (see ``pyproject.toml``); nothing else lives at this level.
* :mod:`.base` -- actor base classes that several actors are built on and no scenario names
  (the quasi-steady gas-actor skeleton, the screw machines' and the stream exchangers' bases).
* :mod:`.properties` -- property libraries: real gas (CoolProp), the hybrid cooler's ideal
  gases, the structural metals' specific heat and thermal conductivity.
* :mod:`.physics` -- physics kernels, pure functions and solvers without an actor (the J-T
  loop, the dewar's heat loads, the screw machines' work and leakage, the in-leak law, the
  exact-step functions of a first-order equation).
* :mod:`.reference` -- the monolithic reference model of the hybrid cooler (numbers in,
  numbers out) and the metrics that compare a co-simulation of it with that model.
"""
