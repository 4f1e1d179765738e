"""The guard: the one gate every read or write of personal data passes through."""
