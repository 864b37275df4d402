"""Runnable examples: `python -m lamina.examples.digits` trains the seeds' models on digits."""
