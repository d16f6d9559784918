"""The conductor: the only code that opens a database session.

``kosmos.conductor.app.build_handler(database_url)`` returns the handler
``(envelope) -> (status, body)`` that ``functions/conductor/main.py`` serves
and that tests call in-process through ``InProcessTransport``.
"""
