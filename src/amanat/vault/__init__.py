"""Keys, field encryption, blind indexes, password hashing: the only importer of `cryptography`."""
