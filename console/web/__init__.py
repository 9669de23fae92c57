"""Flask glue: request-scoped DB session, login, CSRF, headers, languages, metrics, errors."""
