"""The edges of Kosmos: database, conductor client, emitters, OpenStack."""
