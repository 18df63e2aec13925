"""Logger and metrics for every function, configured by POWERTOOLS_* variables.

No Powertools Tracer: importing the X-Ray SDK costs ~200 ms of cold start (bench, cold_init_ms_*), while
`Tracing: Active` in the template already traces every invocation and its AWS calls at the service level.
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()

# Handlers flush with `@metrics.log_metrics` whether or not their invocation counted anything (most API calls and
# many batches do not); Powertools' documented way to silence the warning for that expected case.
warnings.filterwarnings("ignore", "No application metrics to publish*")
