"""Package data: the SQL transformations, their YAML sidecars and the RFM segment rules (installed as
``rfm_assets.sql``; read with importlib.resources, see rfm_assets/core/package_data.py)."""
