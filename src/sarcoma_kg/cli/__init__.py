"""The ``sarcoma-kg`` command line: a thin layer that parses options, calls the library and renders results.

Exit codes: 0 ok; 1 data does not conform, a QC check failed or the ontology is incoherent; 2 bad input or
usage; 3 environment problem (no Java, endpoint unreachable). Errors are one line on stderr, never a traceback
(``--debug`` shows it).
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import SarcomaKGError

__all__ = ["main"]


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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sarcoma-kg")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Soft tissue sarcoma knowledge graph: build, reason, validate, query, serve and ship it."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    from . import browse as browse_commands
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
        *browse_commands.COMMANDS,
    ]:
        main.add_command(command)


_register()
