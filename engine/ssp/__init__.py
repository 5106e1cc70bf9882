"""SSP 1.0 system structure packages: a :class:`~cryocosim.system.System` out, an SSP in.

An SSP (System Structure and Parameterization, Modelica Association, version 1.0) is a zip file
holding a system description, ``SystemStructure.ssd``, and the resources it refers to.

**Export** (:func:`export_system`; ``cryocosim export-system SCENARIO -o system.ssp``) writes

* ``SystemStructure.ssd``: an ``ssd:SystemStructureDescription`` whose ``ssd:System`` has one
  ``ssd:Component`` per actor (``source="resources/<Model>.fmu"``, type
  ``application/x-fmu-sharedlibrary``) with its ``ssd:Connectors`` (kind input/output/parameter,
  type ``ssc:Real`` with its unit, ``ssc:Integer``, ``ssc:Boolean``, ``ssc:String``), an
  ``ssd:ParameterBinding`` with the parameter values the scenario gives (a separate
  ``resources/<actor>.ssv`` ``ssv:ParameterSet``, or inline with ``inline_parameters=True``; every
  set named ``initialValues``, :data:`PARAMETER_SET`, so that libcosim, ecos and this reader all
  apply them) and
  the actor's communication step as the Open Simulation Platform annotation that libcosim reads,
  ``<ssc:Annotation type="com.opensimulationplatform"><osp:StepSizeHint value="0.05"/>``;
  the ``ssd:Connections`` (a connection between different units of one dimension carries the
  engine's conversion as ``ssc:LinearTransformation`` with ``suppressUnitConversion="true"``, so
  a master that does not convert units, libcosim among them, gets the same numbers as one that
  does); the ``ssd:Units`` (``ssc:Unit``/``ssc:BaseUnit`` exponents of :mod:`cryocosim.units`);
  and the ``ssd:DefaultExperiment`` (start and stop time, libcosim's fixed-step algorithm with a
  base step that divides every actor's step, and a ``org.cryocosim`` annotation with the
  engine's ordering and output interval);
* ``resources/<Model>.fmu``: each model's FMU (:func:`cryocosim.fmi.export.fmu_cache`; an actor
  that already is an FMU ships its own file);
* ``resources/<actor>.ssv``: the parameter sets (unless inline).

Step sizes are written so that libcosim's conversion to integer nanoseconds (it truncates
``value * 1e9``) gives the engine's step exactly.  Events, adaptive step control and iterated
coupling have no SSP equivalent: they are left out with a warning.

**Import** (:func:`load`; ``cryocosim run system.ssp``, also an unpacked folder holding
``SystemStructure.ssd`` or the ``.ssd`` file itself) builds a System whose actors are the
components' FMUs (:func:`cryocosim.fmi.fmu_actor.load_fmu_actor_class`, actor names = component
names), with

* connections from ``ssd:Connections`` (direction from the FMU variables' causalities); unit
  conversion from the start connector's unit to the end connector's (a connector without a unit
  has its FMU variable's), then ``ssc:LinearTransformation`` (``target = factor * source +
  offset`` in the end connector's unit), or the transformation alone with
  ``suppressUnitConversion="true"``; a Real without a unit (common in other tools' FMUs) takes the
  unit its connector declares, connected or not (it is recorded in that unit, and connections,
  conditions and parameter values use it), else passes its value unchanged to or from one with a
  unit (a warning says so);
* parameter values from ``ssd:ParameterBindings`` of the components and of the system (names
  ``component.variable`` there; system bindings take precedence), inline ``ssv:ParameterSet`` or
  a ``.ssv`` file named by ``source``, with the ``prefix`` prepended; an ``ssv:Real`` whose
  ``unit`` differs from the FMU variable's is converted (the unit is looked up in the parameter
  set's ``ssv:Units``, then the SSD's ``ssd:Units``, then read as a unit string); names that
  match no variable are ignored, as the standard says, with a warning;
* each component's step from ``osp:StepSizeHint``, else ``default_step`` (the command line's
  ``--step``), else the base step of an ``osp:FixedStepAlgorithm``, else the FMU's
  ``DefaultExperiment`` ``stepSize``;
* the stop time from ``ssd:DefaultExperiment`` ``stopTime``; the ordering and output interval
  from the ``org.cryocosim`` annotation, else Jacobi (what libcosim's fixed-step algorithm does);
* inputs left unconnected hold the values bound to them, else their start values, as in any FMI
  master (a warning names each input left at its start value; the result lists them in its
  ``unconnected_inputs`` attribute).

Every SSD and parameter set read must be valid against the SSP 1.0 XML schemas fmpy ships
(:mod:`cryocosim.ssp.schema`): a file that breaks them is refused in one line naming the file, the
line and the element, after the reader's own checks (whose messages say more where both apply).

Not supported (a one-line :class:`ConfigurationError` naming the file, line and element):
nested systems, signal dictionaries, connections to the system's own connectors, parameter
mappings (``ssd:ParameterMapping``), enumeration and binary values, a start time other than 0,
sources outside the package.  Every error of a bad SSP (a missing file, an unknown component, a
connector the FMU does not have, malformed XML) names the file, the line and the element; so do
numbers that are not finite (a transformation's factor or offset, an ``ssv:Real``, or either once
converted) and integers the FMU variable cannot take (32 bits, its declared min/max, an
Enumeration's items).  A package may take :data:`MAX_EXTRACTED_BYTES` extracted, its FMUs as much
together, and hold :data:`MAX_MEMBERS` members (zip bombs): checked from the zip's headers, and
while extracting.

The package: :mod:`~cryocosim.ssp.common` (the names both directions share),
:mod:`~cryocosim.ssp.write` (export), :mod:`~cryocosim.ssp.archive` (the zip or folder),
:mod:`~cryocosim.ssp.xmlfile` (an XML file and its located messages), :mod:`~cryocosim.ssp.read`
(the files into a plain description), :mod:`~cryocosim.ssp.schema` (the schema check),
:mod:`~cryocosim.ssp.conversion` (the unit algebra), :mod:`~cryocosim.ssp.build` (the description
into a System, and :func:`load`).
"""
# _EXTRACTED (the folders extracted) and _check_sizes are the package's too: tests read the one and
# replace the other here (cryocosim.ssp.archive looks the limits and _check_sizes up in this module)
from .archive import _EXTRACTED, MAX_EXTRACTED_BYTES, MAX_MEMBERS, _check_sizes  # noqa: F401
from .build import FMI_INTEGER, load
from .common import NS, PARAMETER_SET, SSD_NAME, is_ssp
from .write import export_system

__all__ = ["export_system", "load", "is_ssp", "SSD_NAME", "NS", "PARAMETER_SET", "MAX_EXTRACTED_BYTES",
           "MAX_MEMBERS", "FMI_INTEGER"]
