"""``fupin employment offers|return-rate --db``: the frames from the database, the report from
the same writers as over files (:mod:`fupin.cli.employment`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import assistance as use
from fupin.application.files import NothingToAssess
from fupin.cli import employment as file_commands
from fupin.cli.commands import UserError
from fupin.engine.policy import PolicyMissing


def employment_command(args) -> int:
    file_commands.check_options(args)
    try:
        data = use.stored_employment_inputs(Scope.system(), year=args.year, region=args.region)
        return file_commands.employment_command(args, data)
    except (NothingToAssess, PolicyMissing) as exc:
        raise UserError(str(exc)) from None
    except Http404:
        raise UserError(f"区划 {args.region} 不存在或格式错误 (no such region)") from None
    except PermissionDenied as exc:
        raise UserError(str(exc)) from None
