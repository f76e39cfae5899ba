"""Pure scheduling package: working-day calendar, statutory deadlines and (later) the session
scheduler. Nothing here imports flask, sqlalchemy or models."""
