"""The conformance tests that ship in the package: `pytest --pyargs conformance.suite [--oc-target URL]`.

One item per operation and phase (`test_positive[createAssistant]`); the plugin in
`conformance.runner.plugin` parametrizes them from the spec and the run options.
"""
