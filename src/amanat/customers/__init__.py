"""The customer record: who the customer is, their personal fields (encrypted), erasure."""
