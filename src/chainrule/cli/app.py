"""The ``chainrule`` command: a thin face over the library, one module per command group.

Each command parses its options, makes a few library calls and reports::

    chainrule train      data.load_dataset / load_data → Network → train.fit → io.save_model
    chainrule predict    Model.load → Model.predict (the stored scaling and classes)
    chainrule evaluate   Model.load → Model.evaluate
    chainrule info       io.read_model_info (the weights are not read)
    chainrule datasets   data.describe_datasets
    chainrule landscape  nn.cost_surface + descent_path → viz.plot_landscape
    chainrule explain    nn.explain → viz.render_ledger / Ledger.to_latex / to_dict
    chainrule tour       tour.run_tour
    chainrule export     Model.load → interop.to_onnx

Streams and exit codes: standard output carries results only (the final cost,
predictions, tables, ``--json`` documents); progress, notes and errors go to
standard error.  An error is one line, ``error: ...`` (``--debug`` adds the
traceback).  Exit codes: 0 success, 1 a failed run (training diverged), 2 bad
usage or input, 130 interrupted (Ctrl-C), 141 standard output closed by its reader
(`predict ... | head`: said nothing), 143 terminated (SIGTERM).

A new command is a module with one function (its options as typer annotations,
its body inside :func:`~chainrule.cli.reporting.reporting`), registered in
:data:`COMMANDS` below, in the order ``--help`` lists them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from ..utils.version import __version__
from .explain import explain
from .export import export
from .inspect import datasets, info
from .landscape import landscape
from .playground import playground
from .predict import evaluate, predict
from .recipes import recipes_help
from .reporting import EXIT_FAILED, EXIT_USAGE, one_line, say
from .tour import tour
from .train import train

__all__ = ["app", "main"]


def _flags_without_a_type(params: list[Any]) -> list[Any]:
    """Flags (``--json``, ``--help``) take no value: help shows no ``<bool>`` beside them."""
    for p in params:
        if getattr(p, "is_flag", False) and p.metavar is None:
            p.metavar = ""
    return params


class _Command(TyperCommand):
    """Typer's command, its flags shown without a value type."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_without_a_type(super().get_params(ctx))


class _Group(TyperGroup):
    """Typer's group, with usage errors as one ``error:`` line (exit 2) instead of a panel."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_without_a_type(super().get_params(ctx))

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except typer.TyperException as exc:  # click's ClickException family
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `chainrule`: help, not an error
                text = exc.format_message()  # empty where rich printed the help already
                if text.strip():
                    typer.echo(text)
                code = 0
            else:
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                say(f"error: {one_line(exc.format_message())}{hint}")
                code = getattr(exc, "exit_code", EXIT_USAGE)
        except typer.Abort:
            say("error: aborted")
            code = EXIT_FAILED
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    name="chainrule",
    cls=_Group,
    help="Train feed-forward networks by back-propagation, with every chain-rule factor in view.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    return int(app(args=None if argv is None else list(argv), prog_name="chainrule",
                   standalone_mode=False))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chainrule {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Train feed-forward networks by back-propagation, with every chain-rule factor in view.

    `chainrule train` with no arguments trains the course's 1-6-7-2 network on the heart curve.
    """


# The commands, in the order of ``chainrule --help``: (name, function).
COMMANDS: list[tuple[str, Callable[..., None]]] = [
    ("train", train),
    ("predict", predict),
    ("evaluate", evaluate),
    ("info", info),
    ("datasets", datasets),
    ("landscape", landscape),
    ("explain", explain),
    ("tour", tour),
    ("export", export),
    ("playground", playground),
]
# What a command's help ends with: train's defaults for each kind of data.
EPILOGS = {"train": recipes_help()}
for _name, _command in COMMANDS:
    app.command(name=_name, cls=_Command, epilog=EPILOGS.get(_name))(_command)
