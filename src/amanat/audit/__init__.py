"""The audit log: every access to personal data and every state change, append-only."""
