"""``debtkit attach CASE FILE``: upload a document to a case (Debitura), with the same
credential and base-URL flags as ``import``. The CLI knows no adapter: any client whose
``files.upload`` exists can attach."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from debtkit.cli.commands import connection_options
from debtkit.errors import ConfigurationError
from debtkit.plugin import Adapter
from debtkit.registry import Registry

__all__ = ["add_parser", "attach"]


def add_parser(sub: Any, connection: Any) -> None:
    command = sub.add_parser("attach", help="upload a document to a case (Debitura)")
    command.add_argument("case", help="the provider's case id")
    command.add_argument("file", help="the document (pdf, xls, xlsx, csv, txt, jpg, png, gif)")
    command.add_argument("--provider", default="debitura")
    command.add_argument("--document-type", help="e.g. OriginalInvoice (the default), DemandLetter")
    command.add_argument("--description", help="a short text shown with the document")
    connection(command)


async def _attach(
    adapter: Adapter, options: Mapping[str, Any], args: argparse.Namespace, path: Path
) -> str:
    async with adapter.connect(**options) as client:
        upload = getattr(getattr(client, "files", None), "upload", None)
        if upload is None:
            raise ConfigurationError(f"{adapter.name} cannot attach files to cases")
        uploaded = await upload(
            args.case, path, document_type=args.document_type, description=args.description
        )
    return str(uploaded.id)


def attach(args: argparse.Namespace, registry: Registry) -> int:
    adapter = registry.get(args.provider)
    path = Path(args.file)
    if not path.is_file():
        raise ConfigurationError(f"no such file: {path}")
    file_id = asyncio.run(_attach(adapter, connection_options(adapter, args), args, path))
    print(f"attached {path.name} to case {args.case} (file {file_id})")
    return 0
