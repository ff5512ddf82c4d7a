"""newsduck's imperative shell: Prefect flows and tasks, the CLI, settings, HTTP and DuckDB.

Prefect reads its settings when it is imported, so the quiet, offline defaults are set here,
before any flow module imports it. Anything already set in the environment wins.
"""

import logging
import os
from pathlib import Path

from flows.settings import default_data_dir  # noqa: E402  (imports no Prefect)

# Prefect's home follows the data directory the environment names (a --db flag comes too late).
_data_dir = Path(os.environ.get("NEWSDUCK_DATA_DIR") or default_data_dir(
    Path(os.environ.get("NEWSDUCK_DB") or "newsduck.duckdb"), os.environ.get("NEWSDUCK_LAKE"))).resolve()
for _key, _value in {
    "PREFECT_HOME": str(_data_dir / "prefect"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}.items():
    os.environ.setdefault(_key, _value)
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)  # Prefect makes only the last level

# trafilatura warns on every page it cannot use; newsduck records those as skips with a reason.
logging.getLogger("trafilatura").setLevel(logging.ERROR)
