"""Contract data that ships with openai-conformance (overlays, tables).

Read it with ``importlib.resources.files("spec")``; never by a path into the checkout.
"""
