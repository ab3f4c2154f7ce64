"""A connection that has not authenticated and whose first message is not `auth` "gets an
error and a close with code 1008 and the reason" (ws.py's protocol; README: a first message
that is not `auth`). A first frame that is not JSON at all is not an `auth` either."""

from __future__ import annotations

import json

import pytest
from api_support import InProcess, receive_frame
from starlette.websockets import WebSocketDisconnect

WS = "/api/v1/ws"


@pytest.mark.parametrize("frame", ["not json", "[1, 2]", '"auth"'])
def test_a_malformed_first_frame_is_refused_and_closed(api: InProcess, frame: str) -> None:
    with api.http.websocket_connect(WS) as ws:  # no credentials on the handshake
        ws.send_text(frame)
        error = json.loads(receive_frame(ws)["text"])["error"]
        assert error["code"] in (40100, 42210)
        # (found: it stayed open, unauthenticated, until the 10 s deadline)
        try:
            receive_frame(ws, timeout=2.0)
        except WebSocketDisconnect as closed:
            assert closed.code == 1008
            assert closed.reason
        except TimeoutError:
            pytest.fail(
                "the unauthenticated connection is still open 2 s after its bad first frame"
            )
        else:
            pytest.fail("a message came instead of the close")
