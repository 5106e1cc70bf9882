"""Actor base classes that several of the models in ``fmus/`` are built on; no scenario names
them (:mod:`.quasi_steady`: the skeleton of an algebraic gas actor; :mod:`.screw_machine`: the
screw compressor and expander; :mod:`.stream_exchanger`: the aftercooler and the load
exchanger)."""
