"""Amanat: a customer data platform that keeps a privacy policy's promises in code."""

__version__ = "0.1.0"
