"""pytest-alembic 0.13 as the oracle of DL910-DL912, on the fixture projects.

Where its `test_model_definitions_match_ddl` or `test_up_down_consistency` fails, `verify --fresh
--roundtrip` reports the same fault (the same column, index or error); where they pass, it is
quiet. Its plugin does not load under pytest 9 (pyproject.toml blocks it with `-p no:pytest_alembic`),
so its tests run here as the plain functions they are, on its own public `pytest_alembic.runner`,
in a subprocess of the fixture project like the alembic CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import clean_environ

ORACLE = """
import json, sys
import sqlalchemy as sa
import pytest_alembic
from pytest_alembic import tests
from pytest_alembic.config import Config

results = {}
for name, url in (("test_model_definitions_match_ddl", sys.argv[1]), ("test_up_down_consistency", sys.argv[2])):
    engine = sa.create_engine(url)
    try:
        with pytest_alembic.runner(config=Config(config_options={"file": "alembic.ini"}), engine=engine) as runner:
            getattr(tests, name)(runner)
    except BaseException as exc:  # pytest.fail raises an OutcomeException, a BaseException
        context = getattr(exc, "context", None) or []
        text = str(exc) + "".join(f"\\n{title}: {body}" for title, body in context)
        results[name] = {"passed": False, "message": text}
    else:
        results[name] = {"passed": True, "message": ""}
    finally:
        engine.dispose()
print(json.dumps(results))
"""


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str


def pytest_alembic_verdicts(root: Path, databases) -> dict[str, Verdict]:
    """pytest-alembic's two tests, each on an empty database of its own."""
    urls = [databases.url(databases.create()) for _ in range(2)]
    done = subprocess.run(
        [sys.executable, "-c", ORACLE, *urls],
        cwd=root,
        env={**clean_environ(), "DATABASE_URL": urls[0]},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return {name: Verdict(**verdict) for name, verdict in json.loads(done.stdout.splitlines()[-1]).items()}


# fixture: (how pytest-alembic names the fault, how driftlint does; None where both are quiet), codes
SCENARIOS = {
    "models-match": (None, set()),
    "include-object-skips-table": (None, set()),
    "irreversible-downgrade": (None, set()),
    "branched-history-roundtrip": (None, set()),
    "model-column-not-migrated": (("is_admin", "Column `customers.is_admin`"), {"DL910"}),
    "model-type-changed": (("length=320", "`VARCHAR(320)` in the models"), {"DL910"}),
    "downgrade-drops-missing-index": (
        ('index "ix_orders_customer" does not exist', 'index "ix_orders_customer" does not exist'),
        {"DL911"},
    ),
    # pytest-alembic downgrades everything before it upgrades again: the orders table its
    # downgrade leaves makes the next downgrade (of customers) fail instead.
    "downgrade-leaves-table": (("constraint orders_customer_id_fkey on table orders", "table `orders` left over"), {"DL912"}),
}


@pytest.mark.skipif(sys.version_info < (3, 10), reason="pytest-alembic 0.13 needs Python 3.10")
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_verify_finds_what_pytest_alembic_finds(scenario, project, verify, databases):
    root = project(scenario)
    fault, codes = SCENARIOS[scenario]
    oracle = pytest_alembic_verdicts(root, databases)
    run = verify(root, fresh=True, roundtrip=True)
    found = set(run.codes())
    assert found == codes, [d.message for d in run.result.diagnostics]
    assert ("DL910" in found) == (not oracle["test_model_definitions_match_ddl"].passed)
    assert bool({"DL911", "DL912"} & found) == (not oracle["test_up_down_consistency"].passed)
    if fault is not None:
        (failed,) = [v for v in oracle.values() if not v.passed]
        assert fault[0] in failed.message
        (finding,) = run.result.diagnostics
        assert fault[1] in finding.message


@pytest.mark.skipif(sys.version_info < (3, 10), reason="pytest-alembic 0.13 needs Python 3.10")
def test_a_trace_the_second_upgrade_tolerates_is_reported_where_pytest_alembic_passes(project, verify, databases):
    """The one deliberate difference: a downgrade that forgets a sequence its upgrade creates with
    IF NOT EXISTS lets pytest-alembic's up/down test pass (the upgrade runs again), and
    autogenerate does not model sequences; the catalogs show what is left over."""
    root = project("downgrade-leaves-sequence")
    oracle = pytest_alembic_verdicts(root, databases)
    assert oracle["test_up_down_consistency"].passed and oracle["test_model_definitions_match_ddl"].passed
    (finding,) = verify(root, fresh=True, roundtrip=True).result.diagnostics
    assert finding.code == "DL912" and "sequence `invoice_numbers` left over" in finding.message

