"""The REST API v1, declared once: its operations (``operations``) and what each route
requires of its caller (``route_permissions``). The server builds its routes and the
remote client its calls from these declarations."""
