"""Everything that crosses a function boundary, as versioned pydantic models.

- ``resources``: monitors, pools, members, GSLBs (create/update/record per resource)
- ``health``: per (member, monitor, region) state, member and GSLB status trees
- ``history``: the log of state and answer changes with their evidence
- ``events``: the CloudEvents payloads between functions
- ``conductor``: the conductor's request/response envelope and operation catalogue
"""
SCHEMA_VERSION = 1
