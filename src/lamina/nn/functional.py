"""lamina.nn.functional: the maths behind every layer, callable on its own like torch's F.

Each family lives in its own private module; this file only re-exports them.
"""
