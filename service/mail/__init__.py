"""E-mail to attendees through the organizer's SMTP server."""
