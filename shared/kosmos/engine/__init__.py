"""The engine function's handlers: decide, publish, explain.

``handlers.dispatch(event_type, data, deps)`` is what ``functions/engine/main.py``
calls; ``results.handle_results`` and ``reconcile.handle_reconcile`` do the work.
"""
