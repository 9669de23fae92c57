"""Page blueprints, one per area. Views parse the request, call a service, render."""
