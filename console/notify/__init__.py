"""Notifications: events routed to email, webhook and syslog channels through an outbox (docs/notifications.md).

events.py writes what is to be sent in the caller's transaction; outbox.py
sends it from the scheduler process; channels/ speaks to the servers;
kinds.py and messages.py say it in the recipient's language.
"""

__all__ = ["events", "kinds", "looks", "messages"]
