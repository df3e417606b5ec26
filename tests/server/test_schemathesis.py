"""Property-based requests from the OpenAPI spec against the live server: none may get a 500.

Driven with hypothesis directly (schemathesis' pytest plugin does not run under pytest 9),
bounded to a few examples per operation and a time limit.
"""

from __future__ import annotations

import time

import pytest

schemathesis = pytest.importorskip("schemathesis")

MAX_EXAMPLES = 6
TIME_LIMIT_S = 180.0


def test_no_request_gets_a_server_error(live_server):
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_url(f"{live_server.api}/openapi.json")
    deadline = time.monotonic() + TIME_LIMIT_S
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def check(case, operation=operation) -> None:
            nonlocal calls
            if time.monotonic() > deadline:
                return
            calls += 1
            try:
                case.call_and_validate(checks=[not_a_server_error], timeout=30)
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001  (collect them all, then report)
                failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:500]}")

        check()
    assert calls > 50, f"only {calls} requests were made before the time limit"
    assert not failures, "\n".join(failures)
