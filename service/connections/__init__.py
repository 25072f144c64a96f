"""Connections to registration platforms (pretix, Tito, Eventbrite): webhooks in, full syncs.

A connection holds the platform's event identifiers and the organizer's API token (encrypted)
and gives a webhook URL to paste into the platform. Deliveries are stored as they arrive and
processed by the worker (`service.connections.worker`), which fetches what changed from the
platform and upserts attendees through the attendees service.
"""
