"""The edges of Kosmos: database, conductor client, publishers, OpenStack."""
