"""``fupin card --db``: the 明白卡 of a village (or one household) from the database."""

from __future__ import annotations

from django.http import Http404

from fupin.accounts.scoping import Scope
from fupin.application import cards_db
from fupin.application import policy as policy_provider
from fupin.cli.card import pdf_out, write_cards
from fupin.cli.commands import UserError
from fupin.cli.files import as_of
from fupin.engine.policy import PolicyMissing


def card_command(args) -> int:
    out = pdf_out(args)
    if args.input:
        raise UserError("--input 与 --db 只能选一个 (give --input or --db, not both)")
    try:
        result = cards_db.village_cards(Scope.system(), policy_provider.current(), village=args.village, year=args.year,
                                        as_of=as_of(args.as_of), paper=args.paper, all_households=args.all,
                                        household_id=args.household)
    except (cards_db.CardError, PolicyMissing) as exc:
        raise UserError(str(exc)) from None
    except Http404:
        raise UserError(f"区划代码不正确：{args.village} (not a region code)") from None
    return write_cards(result, out, args)
