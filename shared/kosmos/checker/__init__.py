"""The checker function's library: ticks become batches, batches become results.

``tick`` asks the conductor what is due in a region and emits batches;
``batch`` runs a batch's probes over its window (``schedule`` places them) and
emits results; ``runner`` runs one probe through its check plugin;
``discovery`` refreshes the addresses of neutron members; ``service`` ties
them to their dependencies.
"""
