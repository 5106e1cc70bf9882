"""The cryogenic subsystem models, one actor class per module.

Registered under the ``cryocosim.models`` entry-point group (see ``pyproject.toml``), so a
scenario names them by their short name (``model = "screw_compressor"``).
"""
