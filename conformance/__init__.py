"""openai-conformance: spec-conformance and contract testing for the OpenAI REST API."""

__version__ = "0.1.0"
