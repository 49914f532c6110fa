"""Hive variables: the catalogue (catalogue.py), typed input (casting.py), the persistent file
(persistence.py) and how a value is decided (resolution.py)."""
