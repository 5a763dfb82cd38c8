"""The ``sarcoma-kg`` command line: a thin layer that parses options, calls the library and renders results.

Exit codes: 0 ok; 1 data does not conform, a QC check failed or the ontology is incoherent; 2 bad input or
usage; 3 environment problem (no Java, endpoint unreachable). Errors are one line on stderr, never a traceback
(``--debug`` shows it).
"""

from __future__ import annotations

import logging
import sys

import click

from .. import __version__
from ..errors import SarcomaKGError, exit_code_for

__all__ = ["main"]


class _EchoHandler(logging.Handler):
    """The library's notes (``sarcoma_kg`` logger: a stale build directory...) as one line on standard error.

    It looks up standard error at each message, so in-process test runners capture the notes too.
    """

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"sarcoma-kg: note: {record.getMessage()}", err=True)


def _install_notes() -> None:
    logger = logging.getLogger("sarcoma_kg")
    if not any(isinstance(h, _EchoHandler) for h in logger.handlers):
        logger.addHandler(_EchoHandler(logging.INFO))
        logger.setLevel(logging.INFO)


class _Group(click.Group):
    """Turns our errors into one-line messages and exit codes, for every subcommand."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SarcomaKGError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"sarcoma-kg: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("sarcoma-kg: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(0)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # a bug or an untranslated library error: still one line, never a traceback
            if ctx.obj and ctx.obj.get("debug"):
                raise
            detail = " ".join(str(exc).split())[:300] or type(exc).__name__
            click.echo(f"sarcoma-kg: error: unexpected {type(exc).__name__}: {detail} (--debug shows where)", err=True)
            ctx.exit(exit_code_for(exc))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sarcoma-kg")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Soft tissue sarcoma knowledge graph: build, reason, validate, query, serve and ship it."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    _install_notes()


def _register() -> None:
    from . import build as build_commands
    from . import cases as cases_commands
    from . import quality as quality_commands
    from . import query as query_commands
    from . import ship as ship_commands

    for command in [
        *build_commands.COMMANDS,
        *query_commands.COMMANDS,
        *cases_commands.COMMANDS,
        *quality_commands.COMMANDS,
        *ship_commands.COMMANDS,
    ]:
        main.add_command(command)


_register()
