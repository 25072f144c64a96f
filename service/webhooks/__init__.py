"""Outbound webhooks: organizers' systems hear about published plans and attendee changes."""
