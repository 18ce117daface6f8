"""``fupin scenario --db``: a policy scenario over the stored registry; the operator acts with
every right (:meth:`fupin.accounts.scoping.Scope.system`). Nothing is written to the database."""

from __future__ import annotations

from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import policy as policy_provider
from fupin.application import scenario_db
from fupin.cli.commands import UserError
from fupin.cli.files import as_of, one_source
from fupin.cli.scenario import check_outputs, render
from fupin.engine.policy import PolicyMissing


def scenario_command(args) -> int:
    one_source(args)
    check_outputs(args)
    try:
        result = scenario_db.scenario_in_db(Scope.system(), policy_provider.current(), args.year, sets=args.sets,
                                            level=args.level, where=args.where, region=args.region,
                                            as_of=as_of(args.as_of))
    except Http404:
        raise UserError(f"区划代码不正确：{args.region} (region must be 2–12 digits)") from None
    except (scenario_db.ScenarioError, PolicyMissing) as exc:
        raise UserError(str(exc)) from None
    return render(args, result)
