"""``fupin sample`` and ``fupin mpi`` with ``--db``: the stored registry inside the operator's
scope (``--region``, as :meth:`fupin.accounts.scoping.Scope.system` says), rendered as the file
commands render (:mod:`fupin.cli.analytics`)."""

from __future__ import annotations

from fupin.application import analytics_db
from fupin.application import policy as policy_provider
from fupin.cli import analytics as render
from fupin.cli.files import one_source
from fupin.cli.operator import operator_scope


def sample_command(args) -> int:
    one_source(args)
    if args.action == "draw":
        render.check_draw(args)
        return render.render_draw(args, lambda: analytics_db.draw_sample(
            operator_scope(args.region), policy_provider.current(), year=args.year, region=args.region, seed=args.seed,
            purpose=args.purpose, exited_since=args.exited_since))
    render.check_estimate(args)
    tables = render.load_sample(args.sample)
    return render.render_estimate(args, tables, lambda results: analytics_db.estimate_sample(
        operator_scope(str(tables["strata"]["region"][0])), policy_provider.current(), tables, results, basis=args.basis))


def mpi_command(args) -> int:
    render.check_mpi(args)
    return render.render_mpi(args, lambda: analytics_db.mpi_table(
        operator_scope(args.region), policy_provider.current(), year=args.year, level=args.level, region=args.region,
        k=args.k, unknown=args.unknown))
