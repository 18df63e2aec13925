"""`SEED=demo make run`: demo data through the real pipelines (`local.seed.driver`)."""

from local.seed.driver import STATUS, seed

__all__ = ["STATUS", "seed"]
