"""Package data: the default Dagster instance configuration, dagster.yaml (installed as
``rfm_assets.instance``; read with importlib.resources, see rfm_assets/core/package_data.py).
This folder is also the checkout's own DAGSTER_HOME for make run / dev / plots."""
