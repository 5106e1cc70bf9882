"""Exceptions the engine raises.  Each carries a one-line message that names where the problem is."""


def one_line(text) -> str:
    """``text`` (or an exception's message) on one line: runs of whitespace, newlines included,
    become one space."""
    return " ".join(str(text).split())


def exception_line(exc: BaseException) -> str:
    """``"Type: message"`` of an exception on one line (``"ValueError: math domain error"``): for
    an error of a user's code or a library, whose type tells what happened."""
    msg = one_line(exc)
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def describe(value, limit: int = 60) -> str:
    """A short one-line ``repr`` of a user's value for error messages (cut to ``limit``
    characters, so the message stays one short line)."""
    text = one_line(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


class CryocosimError(Exception):
    """Base class: a problem the user can act on, reported as one line without a traceback."""

    exit_status = 1


class ConfigurationError(CryocosimError):
    """A scenario, parameter or connection that is wrong before the run starts (exit status 2)."""

    exit_status = 2


class ParameterError(ConfigurationError):
    """A parameter value that is unknown, of the wrong type, or out of its bounds.

    Made by :meth:`of`, it names the ``actor`` and the ``parameter`` and holds ``detail``, what is
    wrong with the value (``" = 2 K is below its minimum 4 K"``, ``": unit mismatch ..."``): a
    scenario names the place the value came from instead of the actor (``checks.locate_setup_error``)."""

    # kept in args: an exception rebuilt from them (pickled to a worker and back) keeps its fields
    def __init__(self, message, actor=None, parameter=None, detail=None):
        super().__init__(message, actor, parameter, detail)

    actor = property(lambda self: self.args[1])
    parameter = property(lambda self: self.args[2])
    detail = property(lambda self: self.args[3])

    @classmethod
    def of(cls, actor: str, parameter: str, detail: str) -> "ParameterError":
        """``"actor 'ACTOR': parameter 'PARAMETER'" + detail``; ``detail`` starts with its own
        separator (``" = 3 K is ..."``, ``": ..."``, ``" must be ..."``)."""
        return cls(f"actor '{actor}': parameter '{parameter}'{detail}", actor, parameter, detail)

    def __str__(self) -> str:
        return str(self.args[0])


class SetupError(ConfigurationError):
    """An actor's ``setup()`` (or the system's initialisation) failed before the run started;
    ``actor`` names the actor (a scenario maps it to the table that defined it)."""

    def __init__(self, message, actor=None):
        super().__init__(message)
        self.actor = actor


class ConnectionError_(ConfigurationError):
    """A connection whose ends do not exist, whose units disagree, or an input left unconnected."""


class ModelError(CryocosimError):
    """A model failed during the run (an FMU error, a fluid state outside the property range...)."""


class ActorTerminated(CryocosimError):
    """An actor ended the simulation itself (an FMU whose ``fmi2DoStep`` returned fmi2Discard with
    ``fmi2Terminated`` true): the master ends the run cleanly.  ``actor`` names it, ``time`` is the
    time it reached (s; the FMU's ``fmi2LastSuccessfulTime``), ``fmu`` the FMU file's name;
    ``final`` says the actor's outputs hold its state at ``time`` (the master records it there)."""

    exit_status = 0

    # simpy re-raises a process's exception rebuilt from its args: everything is kept in them
    def __init__(self, message, actor=None, time=None, fmu=None, final=False):
        super().__init__(message, actor, time, fmu, final)

    actor = property(lambda self: self.args[1])
    time = property(lambda self: self.args[2])
    fmu = property(lambda self: self.args[3])
    final = property(lambda self: self.args[4])

    def __str__(self) -> str:
        return str(self.args[0])


class SimulationError(CryocosimError):
    """A run that stopped midway; ``result_path`` holds everything computed up to ``time``."""

    def __init__(self, message, time=None, result_path=None):
        super().__init__(message)
        self.time = time
        self.result_path = result_path


class CryocosimWarning(UserWarning):
    """Something the user should know that does not stop the run (the CLI prints it as one line)."""
