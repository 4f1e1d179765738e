"""Shared web pieces: security headers, request logging, templates, error pages."""
