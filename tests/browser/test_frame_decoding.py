"""The websocket spy's frame decoder against jupyter_server's own serializers (no browser)."""

from __future__ import annotations

import json

from browser_harness import decode_kernel_frame

HEADER = {"msg_id": "1", "msg_type": "comm_msg", "session": "s", "username": "", "version": "5.3",
          "date": "2026-01-01T00:00:00Z"}
CONTENT = {"comm_id": "abc", "data": {"method": "update", "state": {"opacity": 0.5},
                                      "buffer_paths": [["heatmap", "view"]]}}


def test_v1_binary_frame():
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    parts = [json.dumps(p).encode() for p in (HEADER, {}, {}, CONTENT)] + [b"\x00\x01\x02"]
    msg = decode_kernel_frame(serialize_msg_to_ws_v1(parts, "shell"))
    assert msg["protocol"] == "v1"
    assert msg["channel"] == "shell"
    assert msg["header"]["msg_type"] == "comm_msg"
    assert msg["content"] == CONTENT
    assert msg["buffers"] == [b"\x00\x01\x02"]


def test_json_text_frame():
    frame = json.dumps({"channel": "shell", "header": HEADER, "parent_header": {}, "metadata": {},
                        "content": CONTENT, "buffers": []})
    msg = decode_kernel_frame(frame)
    assert msg["protocol"] == "json" and msg["content"] == CONTENT


def test_legacy_binary_frame():
    from jupyter_server.services.kernels.connection.base import serialize_binary_message

    frame = serialize_binary_message({"channel": "shell", "header": HEADER, "parent_header": {},
                                      "metadata": {}, "content": CONTENT,
                                      "buffers": [memoryview(b"\x07\x08")]})
    msg = decode_kernel_frame(frame)
    assert msg["protocol"] == "legacy-binary"
    assert msg["header"]["msg_type"] == "comm_msg"
    assert msg["buffers"] == [b"\x07\x08"]


def test_garbage_is_none():
    assert decode_kernel_frame(b"\xff" * 40) is None
    assert decode_kernel_frame("not json") is None
