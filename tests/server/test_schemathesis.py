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


def _checker(operation, deadline: float, failures: list[str], calls: list[int]):
    """A hypothesis test sending generated requests for one operation; failures are collected."""
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def check(case) -> None:
        if time.monotonic() > deadline:
            return
        calls.append(1)
        try:
            case.call_and_validate(checks=[not_a_server_error], timeout=30)
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001  (collect them all, then report)
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:500]}")

    return check


def test_no_request_gets_a_server_error(live_server):
    schema = schemathesis.openapi.from_url(f"{live_server.api}/openapi.json")
    deadline = time.monotonic() + TIME_LIMIT_S
    failures: list[str] = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        _checker(result.ok(), deadline, failures, calls)()
    assert len(calls) > 50, f"only {len(calls)} requests were made before the time limit"
    assert not failures, "\n".join(failures)
