"""The conductor's database: tables (``models``), engine and transactions (``session``)."""
