"""The conformance tests: one behaviour per function, a declaration and a scenario table each.

Run them with `python -m conformance --gateway NAME` (or `pytest -p conformance.plugin conformance/suite`).
"""
