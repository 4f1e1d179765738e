"""Messages to customers: the encrypted outbox (delivery over SMTP comes later)."""
