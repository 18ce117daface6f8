"""The scope tests read and arrange the database with: the whole country, every right (the
command line's operator). Tests that check what a user may see use that user's scope instead."""

from __future__ import annotations

from fupin.accounts.scoping import Scope

EVERYWHERE = Scope.system()
