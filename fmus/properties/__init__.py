"""Property libraries of the models: :mod:`.gas` (real gases on CoolProp's HEOS and its tables),
:mod:`.ideal_gas` (the hybrid cooler's perfect gases and their parameters), :mod:`.materials`
(specific heat and enthalpy of structural metals) and :mod:`.conductivity` (their thermal
conductivity and its integral).  No actors."""
