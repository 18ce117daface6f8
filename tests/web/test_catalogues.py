"""Each app keeps its own Chinese catalogue; Django merges them into one table per language, so
a message id translated two ways would show one app's word on another app's page (a ranking
column headed 职级, the cadre's rank, instead of 名次)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "fupin"


def _entries(path: Path):
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        ctx = re.search(r'^msgctxt "(.*)"$', block, re.M)
        mid = re.search(r'^msgid "(.*)"$', block, re.M)
        mstr = re.search(r'^msgstr "(.*)"$', block, re.M)
        if mid and mstr and mid.group(1):
            yield (ctx.group(1) if ctx else "", mid.group(1)), mstr.group(1)


def test_no_message_is_translated_two_ways_across_the_apps_catalogues():
    seen: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for po in sorted(SRC.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")):
        for key, translation in _entries(po):
            if translation:
                seen[key][translation].append(po.parts[-5])
    clashes = {key: dict(ways) for key, ways in seen.items() if len(ways) > 1}
    assert not clashes, clashes


def test_every_catalogue_is_compiled():
    for po in SRC.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime - 1, f"{mo} is older than {po}: run msgfmt"
