"""The modelreg server: a FastAPI app over the same services the embedded client uses."""
