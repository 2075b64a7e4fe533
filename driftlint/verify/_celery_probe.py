"""Load a Celery app the way `celery beat` does and report its schedule and registered tasks.

Executed by path in a subprocess (`python _celery_probe.py module:attr RESULT_FILE`) so the
user's code runs outside driftlint's process; imports only the standard library and Celery.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any


def main(argv: list[str]) -> int:
    spec, result_file = argv[0], argv[1]
    # `celery -A` imports from the current directory (celery.utils.imports.import_from_cwd).
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        sys.path[0] = os.getcwd()
    result: dict[str, Any] = {"ok": False}
    try:
        from celery.app.utils import find_app

        app = find_app(spec)
        module = sys.modules.get(getattr(app, "main", None) or "") or sys.modules.get(spec.partition(":")[0])
        # Beat.init_loader(): import_default_modules() (imports, include, autodiscover), then finalize().
        app.loader.init_worker()
        app.finalize(auto=True)
        schedule = app.conf.beat_schedule or {}
        result = {
            "ok": True,
            "module_file": getattr(module, "__file__", None),
            "schedule": {
                str(name): str(entry.get("task")) if isinstance(entry, dict) else None
                for name, entry in schedule.items()
            },
            "tasks": sorted(str(name) for name in app.tasks.keys()),
        }
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as a finding
        result = {
            "ok": False,
            "error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}".rstrip(
                ": "
            ),
        }
        traceback.print_exc()
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
