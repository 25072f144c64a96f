"""Keep-apart and keep-together rules: hard rules an organizer sets over named attendees."""
