"""/v2 lists given a bound past what a stored instant holds (1677-2262) answer as if unbounded
there, not with a 500 (found with session 21's native review of the same fault)."""

from __future__ import annotations

import pytest
from api_support import InProcess


@pytest.mark.parametrize("bound", ["after", "until"])
@pytest.mark.parametrize("when", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2300-01-01"])
def test_a_far_date_bound_on_v2_orders_and_activities_is_no_server_error(
    api: InProcess, bound: str, when: str
) -> None:
    key = api.key()
    for path in ("/v2/orders?status=all&", "/v2/account/activities?"):
        response = api.http.get(f"{path}{bound}={when}", headers=key.headers)
        assert response.status_code == 200, (path, response.text)
