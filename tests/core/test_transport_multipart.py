"""Multipart bodies through the `Transport`: files and text fields, rebuilt for each attempt."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from debtkit.retry import RetryPolicy
from debtkit.simulator import SimulatorServer
from debtkit.transport import FilePart, Request, Transport


def _upload_app(received: list[dict[str, Any]], fail_first: int = 0) -> web.Application:
    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["File"]
        assert isinstance(upload, web.FileField)
        received.append(
            {
                "filename": upload.filename,
                "content_type": upload.content_type,
                "content": upload.file.read(),
                "description": form.get("Description"),
            }
        )
        if len(received) <= fail_first:
            return web.json_response({"message": "try again"}, status=503)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/files", upload)
    return app


async def test_a_file_and_a_field_arrive_as_multipart_form_data() -> None:
    received: list[dict[str, Any]] = []
    part = FilePart("invoice.pdf", b"%PDF-1.4", "application/pdf")
    server = SimulatorServer(_upload_app(received))
    async with server, Transport(provider="p", base_url=server.base_url) as transport:
        request = Request("POST", "files", multipart=[("File", part), ("Description", "Q1")])
        await transport.request(request)
    assert received == [
        {
            "filename": "invoice.pdf",
            "content_type": "application/pdf",
            "content": b"%PDF-1.4",
            "description": "Q1",
        }
    ]


async def test_a_retried_multipart_request_sends_the_whole_body_again() -> None:
    received: list[dict[str, Any]] = []
    part = FilePart("a.csv", b"a,b\n", "text/csv")
    retry = RetryPolicy(attempts=3, base=0.0, cap=0.0)
    server = SimulatorServer(_upload_app(received, fail_first=1))
    async with server:
        transport = Transport(provider="p", base_url=server.base_url, retry=retry)
        async with transport:
            request = Request("POST", "files", multipart=[("File", part)], retry_safe=True)
            await transport.request(request)
    assert [r["content"] for r in received] == [b"a,b\n", b"a,b\n"]


def test_a_file_parts_repr_shows_its_size_not_its_bytes() -> None:
    part = FilePart("x.pdf", b"secret-content", "application/pdf")
    assert "secret" not in repr(part)
    assert "14 bytes" in repr(part)
