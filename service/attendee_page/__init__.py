"""The attendee's private page: their own profile and, once published, their tables."""
