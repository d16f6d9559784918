"""Pure types and rules of Kosmos: no I/O, no frameworks beyond pydantic types."""
