"""Billing: catalogue, services, invoices with Pakistani tax lines, payments, certificates."""
