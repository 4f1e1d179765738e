"""The policy: the provider's promises as data, loaded once and enforced everywhere."""
