"""Hypothesis strategies for OpenAI API requests."""
