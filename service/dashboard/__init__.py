"""The organizer dashboard: a browser app over the /v1 API, and printable table cards."""
