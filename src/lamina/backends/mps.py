"""lamina.backends.mps: Apple's GPU backend; lamina never has it."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
