"""Framework-free pieces shared by every domain: errors, clock, logging, masked values."""
