"""The REST kit every app's API shares: base views and schema, errors, throttles, token auth,
parsers, the OpenAPI docs, and the /api/ URL conf that mounts each app's routes."""
