"""The names of the API's security schemes and the `security=` lists routes declare (plain data).

The schemes themselves (Powertools' OpenAPI models, ~80 ms to build) are `leadcenter.api.openapi`'s, which only the
OpenAPI document needs; a router naming its security imports this module instead, so its function's cold start
does not build them.
"""

from __future__ import annotations

# Every route but the messaging webhook sits behind the Cognito user-pool authorizer (template.yaml); the
# webhook carries the platform's HMAC signature instead (capture.py declares it with `security=`).
BEARER = "cognitoBearer"
SIGNATURE = "messageSignature"
SIGNED_ROUTE: list[dict[str, list[str]]] = [{SIGNATURE: []}]
# The platform's auto-capture review service calls POST /review/auto-capture/{a} with IAM (template.yaml:
# `Authorizer: AWS_IAM`), not a user's token.
IAM = "awsSigV4"
IAM_ROUTE: list[dict[str, list[str]]] = [{IAM: []}]
