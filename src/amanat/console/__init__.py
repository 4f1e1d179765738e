"""The staff console and the staff customer API: one customer's record, for one purpose."""
