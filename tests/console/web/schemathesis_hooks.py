"""Loaded by `st run` (SCHEMATHESIS_HOOKS) in test_schemathesis.py: how to send an application/x-ndjson body.

POST /api/v1/alerts/eve takes a batch of EVE lines as application/x-ndjson, a media type schemathesis has no
serializer for; the generated text is sent as it is, like text/plain.
"""

import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
