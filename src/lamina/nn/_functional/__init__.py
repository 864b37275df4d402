"""Private homes of nn.functional, one per family; nn/functional.py re-exports them."""
