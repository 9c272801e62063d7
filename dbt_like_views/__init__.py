"""Package data: the BI views and their sidecars (installed as ``rfm_assets.views``; read with
importlib.resources, see rfm_assets/core/package_data.py)."""
