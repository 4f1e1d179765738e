"""The sandbox payment processor: a separate party, run as its own process.

It stands in for a PCI-DSS compliant processor during development, demos and tests:
a hosted payment page that takes a test card, signed webhooks with retries, duplicate
and out-of-order delivery. It imports nothing of Amanat's storage or services; Amanat
talks to it only over HTTP, as it would to a real processor.
"""
