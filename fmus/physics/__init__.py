"""Physics kernels of the models: pure functions, tables and solvers, no actors.
:mod:`.jt_physics` (the Joule-Thomson loop of the 4 K stage), :mod:`.dewar_heat` (a dewar's
radiation, gas and solid conduction), :mod:`.screw_machine` (indicated work, leakage and torque
blend of the screw machines), :mod:`.inleak` (heat in-leak into a gas stream) and
:mod:`.exponential` (the exact-step functions of a first-order linear equation)."""
