"""Logger and metrics for every function, configured by POWERTOOLS_* variables.

No Powertools Tracer: importing the X-Ray SDK costs ~200 ms of cold start (bench, cold_init_ms_*), while
`Tracing: Active` in the template already traces every invocation and its AWS calls at the service level.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
