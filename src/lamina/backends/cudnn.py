"""lamina.backends.cudnn: cuDNN's settings as plain attributes; lamina has no cuDNN to tune.

Assigning them (`cudnn.deterministic = True`, `cudnn.benchmark = False`) is recorded and has no
effect. The defaults are torch's.
"""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version() -> None:
    """No cuDNN library is loaded, so there is no version (torch also answers None then)."""
    return None
