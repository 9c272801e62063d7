"""Settings.from_env against the README's operator contract, variable by variable; resources derived from it.

Every expected value below is written by hand from the documented meaning of the variable, not taken
from the code: a valid non-default value must change exactly the fields it documents, an invalid one
must fail with a message naming the variable and its value.
"""

import re
from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest

from rfm_assets.resources import RESOURCES, WarehouseResource, build_resources, settings_fields
from rfm_assets.settings import VARIABLES, Settings

ROOT = Path(__file__).resolve().parents[2]
MAPPING = "customer_id=cust,order_date=dt,amount=amt"
PROFIT = {"RFM_CONTACT_COST": "0.5", "RFM_MARGIN": "0.3"}
# variable -> [(valid text, other variables it needs, {field: expected value})], [invalid texts]
CASES: dict[str, tuple[list[tuple[str, dict, dict]], list[str]]] = {
    "RFM_WAREHOUSE": (
        [
            ("/srv/shop/wh.duckdb", {}, {"warehouse": Path("/srv/shop/wh.duckdb")}),
            (
                "ducklake:postgres:dbname=rfm host=db",
                {"RFM_LAKE_DATA_PATH": "/srv/lake"},
                {"warehouse": "ducklake:postgres:dbname=rfm host=db", "lake_data_path": "/srv/lake"},
            ),
        ],
        ["ducklake:sqlite:lake.db", "ducklake:postgres:"],
    ),
    "RFM_LAKE_DATA_PATH": ([("s3://bucket/lake/", {}, {"lake_data_path": "s3://bucket/lake/"})], []),
    "RFM_SOURCE": ([("/srv/shop/orders", {}, {"source": Path("/srv/shop/orders")})], []),
    "RFM_SOURCE_FORMAT": (
        [("generic", {"RFM_COLUMNS": MAPPING}, {"source_format": "generic", "columns": MAPPING})],
        ["onlineretail", "GENERIC"],
    ),
    "RFM_COLUMNS": ([(MAPPING, {}, {"columns": MAPPING})], ["customer_id=c,order_date", "cust,dt"]),
    "RFM_START_MONTH": ([("2011-03", {}, {"start_month": date(2011, 3, 1)})], ["March"]),
    "RFM_END_MONTH": ([("2011-09", {}, {"end_month": date(2011, 9, 1)}), ("live", {}, {"live": True})], ["Sept"]),
    "RFM_WINDOW_MONTHS": ([("6", {}, {"window_months": 6})], ["0", "six", "6.5"]),
    "RFM_CLUSTERS_K": ([("5", {}, {"cluster_k": 5}), ("AUTO", {}, {"cluster_k": None})], ["1", "13", "many"]),
    "RFM_SEGMENT_RULES": ([("/srv/rules.csv", {}, {"segment_rules": Path("/srv/rules.csv")})], []),
    "RFM_DEFAULT_SCALE": ([("0.25", {}, {"default_scale": 0.25})], ["0", "big", "inf"]),
    "RFM_CLV_DISCOUNT_RATE": ([("0.08", {}, {"clv_discount_rate": 0.08})], ["-0.1", "nan", "8%"]),
    "RFM_CLV_HOLDOUT_MONTHS": ([("3", {}, {"clv_holdout_months": 3})], ["0", "3.5"]),
    "RFM_CAMPAIGN_TOP_N": ([("500", {}, {"campaign_top_n": 500})], ["0", "ten"]),
    "RFM_CAMPAIGN_SHARE": ([("0.2", {}, {"campaign_share": 0.2})], ["0", "1.5", "20%"]),
    "RFM_CONTACT_COST": ([("0.5", {"RFM_MARGIN": "0.3"}, {"contact_cost": 0.5, "margin": 0.3})], ["-1", "cheap"]),
    "RFM_MARGIN": ([("0.3", {"RFM_CONTACT_COST": "0.5"}, {"contact_cost": 0.5, "margin": 0.3})], ["0", "1.2"]),
    "RFM_CAMPAIGN_BUDGET": (
        [("100", PROFIT, {"campaign_budget": 100.0, "contact_cost": 0.5, "margin": 0.3})],
        ["-5", "lots"],
    ),
    "RFM_CONTROL_SHARE": (
        [("0.25", {}, {"control_share": 0.25}), ("0", {}, {"control_share": 0.0})],
        ["1", "-0.1", "10%"],
    ),
    "RFM_CONTACTS_DIR": ([("/srv/contacts", {}, {"contacts_dir": Path("/srv/contacts")})], []),
    "RFM_BI_COPY": ([("/srv/bi/copy.duckdb", {}, {"bi_copy": Path("/srv/bi/copy.duckdb")})], []),
    "RFM_ACCEPT_EMPTY_MONTHS": (
        [
            ("2011-04, 2011-03,2011-04", {}, {"accept_empty_months": "2011-03,2011-04"}),
            ("all", {}, {"accept_empty_months": "all"}),
        ],
        ["March", "2011-13"],
    ),
}
PATHS = {
    "RFM_WAREHOUSE",
    "RFM_SOURCE",
    "RFM_SEGMENT_RULES",
    "RFM_BI_COPY",
    "RFM_LAKE_DATA_PATH",
    "RFM_CONTACTS_DIR",
}  # any text is a path
PARTITION_FIELDS = {"start_month", "end_month", "live"}  # read by partitions.py, not by a resource


def contract_rows() -> list[tuple[list[str], str]]:
    """([variables], default cell) of each row of the "Operator contract" table (README, else docs/)."""
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        rows, inside = [], False
        for line in doc.read_text().splitlines():
            if line.startswith("#"):
                inside = "operator contract" in line.lower()
            elif inside and line.startswith("|"):
                cells = [cell.strip() for cell in line.strip("|").split("|")]
                names = re.findall(r"`(RFM_[A-Z0-9_]+)`", cells[0])
                if names:
                    rows.append((names, cells[1] if len(cells) > 1 else ""))
        if rows:
            return rows
    raise AssertionError("no 'Operator contract' table in README.md or docs/*.md")


def documented() -> set[str]:
    return {name for names, _ in contract_rows() for name in names}


def changed_fields(settings: Settings) -> dict:
    default = Settings()
    return {
        f.name: getattr(settings, f.name)
        for f in fields(Settings)
        if getattr(settings, f.name) != getattr(default, f.name)
    }


def test_every_documented_variable_is_read_and_every_read_variable_is_documented():
    read = {var.name for var in VARIABLES}
    assert documented() - read == set(), "documented in the operator contract but not read by Settings.from_env"
    assert read - documented() == set(), "read by Settings.from_env but missing from the operator contract"
    assert set(CASES) == read, "every variable needs a case in this test"


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_valid_value_sets_exactly_its_fields(name):
    for text, needs, expected in CASES[name][0]:
        settings = Settings.from_env({**needs, name: text})
        assert changed_fields(settings) == expected, (name, text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_invalid_value_is_refused_naming_the_variable(name):
    valid, invalid = CASES[name]
    assert invalid or name in PATHS, f"{name} needs an invalid example"
    needs = valid[0][1]
    for text in invalid:
        with pytest.raises(ValueError, match=re.escape(f"{name}={text!r}: use ")):
            Settings.from_env({**needs, name: text})


@pytest.mark.parametrize("name", sorted(CASES))
def test_unset_or_blank_keeps_the_default(name):
    assert Settings.from_env({name: "  "}) == Settings.from_env({name: ""}) == Settings.from_env({}) == Settings()


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"RFM_SOURCE_FORMAT": "generic"}, ["RFM_SOURCE_FORMAT=generic", "RFM_COLUMNS"]),
        (
            {"RFM_START_MONTH": "2011-05", "RFM_END_MONTH": "2011-04"},
            ["RFM_START_MONTH=2011-05", "RFM_END_MONTH=2011-04"],
        ),
        ({"RFM_CONTACT_COST": "0.5"}, ["RFM_CONTACT_COST", "RFM_MARGIN"]),
        ({"RFM_MARGIN": "0.3"}, ["RFM_CONTACT_COST", "RFM_MARGIN"]),
        ({"RFM_CAMPAIGN_BUDGET": "100"}, ["RFM_CAMPAIGN_BUDGET", "RFM_CONTACT_COST", "RFM_MARGIN"]),
        ({"RFM_WAREHOUSE": "ducklake:postgres:dbname=rfm"}, ["RFM_WAREHOUSE", "RFM_LAKE_DATA_PATH"]),
    ],
)
def test_rules_between_variables_name_them(env, names):
    with pytest.raises(ValueError) as raised:
        Settings.from_env(env)
    assert all(name in str(raised.value) for name in names), str(raised.value)


def test_documented_numeric_defaults_are_the_settings_defaults():
    field_of = {var.name: var.field for var in VARIABLES}
    checked = 0
    for names, default in contract_rows():
        number = re.fullmatch(r"`(-?[0-9.]+)`", default)
        if number and len(names) == 1:
            assert getattr(Settings(), field_of[names[0]]) == float(number.group(1)), names[0]
            checked += 1
    assert checked >= 5  # window, k, scale, discount rate, holdout, share


def test_from_env_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("RFM_WINDOW_MONTHS", "7")
    assert Settings.from_env().window_months == 7


def test_resources_carry_the_settings_values(tmp_path):
    env = {
        "RFM_WAREHOUSE": str(tmp_path / "w.duckdb"),
        "RFM_BI_COPY": str(tmp_path / "bi.duckdb"),
        "RFM_SOURCE": str(tmp_path / "orders"),
        "RFM_SOURCE_FORMAT": "generic",
        "RFM_COLUMNS": MAPPING,
        "RFM_DEFAULT_SCALE": "0.5",
        "RFM_ACCEPT_EMPTY_MONTHS": "2011-03",
        "RFM_WINDOW_MONTHS": "6",
        "RFM_CLUSTERS_K": "auto",
        "RFM_SEGMENT_RULES": str(tmp_path / "r.csv"),
        "RFM_CLV_DISCOUNT_RATE": "0.08",
        "RFM_CLV_HOLDOUT_MONTHS": "3",
        "RFM_CAMPAIGN_TOP_N": "50",
        "RFM_CAMPAIGN_SHARE": "0.2",
        "RFM_CAMPAIGN_BUDGET": "100",
        "RFM_CONTROL_SHARE": "0.25",
        "RFM_CONTACTS_DIR": str(tmp_path / "contacts"),
        **PROFIT,
    }
    res = build_resources(Settings.from_env(env))
    warehouse, source, params = res["warehouse"], res["order_source"], res["params"]
    assert (warehouse.path, warehouse.bi_copy()) == (str(tmp_path / "w.duckdb"), tmp_path / "bi.duckdb")
    assert (source.path, source.format, source.columns) == (str(tmp_path / "orders"), "generic", MAPPING)
    assert (source.staging_dir, source.default_source_dir) == (
        str(tmp_path / "staging"),
        str(tmp_path / "default_source"),
    )
    assert (source.default_scale, source.accept_empty_months) == (0.5, "2011-03")
    assert (params.window_months, params.cluster_k, params.segment_rules) == (6, None, str(tmp_path / "r.csv"))
    assert (params.clv_discount_rate, params.clv_holdout_months) == (0.08, 3)
    assert (params.campaign_top_n, params.campaign_share, params.campaign_budget) == (50, 0.2, 100.0)
    assert (params.contact_cost, params.margin, params.export_dir) == (0.5, 0.3, str(tmp_path / "exports"))
    assert params.control_share == 0.25
    assert params.contacts_dir == str(tmp_path / "contacts")


def test_every_setting_reaches_a_resource_and_resource_defaults_are_the_settings_defaults():
    reached = {attribute for resource in RESOURCES.values() for attribute in settings_fields(resource).values()}
    assert {f.name for f in fields(Settings)} - PARTITION_FIELDS <= reached
    default = Settings()
    for resource in RESOURCES.values():
        built = resource()  # what a test constructing the resource directly gets
        for key, attribute in settings_fields(resource).items():
            name = "database" if key == "path" and resource is WarehouseResource else key
            value = getattr(default, attribute)
            assert getattr(built, name) == (str(value) if isinstance(value, Path) else value), (resource, key)


def test_only_settings_reads_the_environment():
    """No module but settings.py reads os.environ; cli.py reads only DAGSTER_HOME and RFM_DEBUG."""
    readers = {}
    for path in sorted((ROOT / "rfm_assets").rglob("*.py")):
        text = path.read_text()
        reads = re.findall(
            r"os\.environ(?:\.get)?[\[(]\s*\"(\w+)\"|(os\.getenv|environ\.items|os\.environ\b(?![\[.]))", text
        )
        if reads:
            readers[str(path.relative_to(ROOT))] = sorted({name or other for name, other in reads})
    assert readers == {"rfm_assets/cli.py": ["DAGSTER_HOME", "RFM_DEBUG"], "rfm_assets/settings.py": ["os.environ"]}
    from_env = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "rfm_assets").rglob("*.py") if "Settings.from_env(" in p.read_text()
    )
    assert from_env == ["rfm_assets/cli.py", "rfm_assets/partitions.py"]
