"""Data access: one module per aggregate. Only this package imports pynamodb; it raises domain errors."""
