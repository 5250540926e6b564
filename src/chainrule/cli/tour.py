"""``chainrule tour``: the course's exercise, question by question, with pictures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .options import Debug
from .outputs import check_writable
from .printing import stdout_console
from .reporting import reporting


def tour(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the pictures.")]
        = Path("tour-output"),
    heart: Annotated[bool, typer.Option(
        "--heart/--no-heart", help="End with the heart-curve network (about 2 s).")] = True,
    debug: Debug = False,
) -> None:
    """Walk through the course's exercise, question by question, with the library."""
    from ..tour import run_tour

    with reporting(debug):
        for name in ("q2_landscape.png", "heart.png"):
            check_writable(out / name, "--out")
        run_tour(out, stdout_console(), train_heart=heart)
