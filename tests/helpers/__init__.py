"""Helpers of the test modules (builders, drivers, receivers): imported by tests and benchmarks, never collected."""
