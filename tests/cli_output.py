"""What the command line prints, for the tests that read it."""

#: the words of the one line a run prints before executing code outside the registered models
#: (cryocosim.trust.announce): models from the tests' own modules are such code
NOTICE = "executes code outside cryocosim's registered models"


def errors_only(stderr: str) -> str:
    """``stderr`` without the notice line of the external code a run executes."""
    return "".join(line for line in stderr.splitlines(keepends=True) if NOTICE not in line)
