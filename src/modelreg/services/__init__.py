"""The business rules, one service per area; used in-process (embedded) and by the server."""
