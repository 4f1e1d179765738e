"""Disclosure of customers' data under a legal requirement: the register (issue 14)."""
