"""The one policy provider: the deployment's policy files, configured once, loaded once.

``FUPIN_POLICY`` names the deployment's files (paths separated by the OS path separator,
``os.pathsep``); a command's ``--policy FILE`` (repeatable) adds files after them. The national
file always comes first, then the files in that order (:func:`fupin.engine.policy.load_policies`:
a later file wins among equally specific ones). ``fupin serve`` passes the whole list to the web
workers and the job worker in their ``FUPIN_POLICY`` (:func:`environment`), so every entry point of
one deployment decides with the same policy, and every stored run records its identity.
"""

from __future__ import annotations

import os
from functools import lru_cache

from fupin.engine.policy import PARAMETER_LABELS, PolicySet, load_policies, shipped_policy
from fupin.engine import rules

ENV = "FUPIN_POLICY"


_command_paths: tuple[str, ...] | None = None  # set by a command's --policy, for its own run


def _environment_paths() -> tuple[str, ...]:
    return tuple(p for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip())


def configured_paths() -> tuple[str, ...]:
    """The policy files in force, in order: ``FUPIN_POLICY``'s, then the command's ``--policy``."""
    return _command_paths if _command_paths is not None else _environment_paths()


def configure(extra_paths=()) -> tuple[str, ...]:
    """Add a command's ``--policy`` files after the deployment's for the rest of this command;
    returns the whole list. Raises PolicyError for a file that cannot be read — before anything
    runs, not at the first request that needs it."""
    global _command_paths
    paths = list(_environment_paths())
    for path in extra_paths or ():
        resolved = shipped_policy(path) or os.path.abspath(path)
        if resolved not in paths:
            paths.append(resolved)
    _load(tuple(paths))
    _command_paths = tuple(paths)
    return _command_paths


def reset() -> None:
    """Back to ``FUPIN_POLICY`` alone (the end of a command run in-process)."""
    global _command_paths
    _command_paths = None


def environment() -> dict[str, str]:
    """The environment of a child process that must decide with this policy (serve's workers)."""
    return {**os.environ, ENV: os.pathsep.join(configured_paths())}


@lru_cache(maxsize=8)
def _load(paths: tuple[str, ...]) -> PolicySet:
    return load_policies(list(paths))


def current() -> PolicySet:
    """The policy of this deployment (national first, then ``FUPIN_POLICY``'s files)."""
    return _load(configured_paths())


def values(policy: PolicySet, year: int, region: str = "") -> list[dict]:
    """Every parameter of ``policy`` as it resolves for ``year`` and ``region``: value, the file
    that set it, its source and confidence, and whether assessing that year needs it."""
    needed = set(policy.needed(year, region or None))
    rows = []
    for parameter in policy.parameters():
        zh, en = PARAMETER_LABELS.get(parameter, (parameter, parameter))
        found = policy.lookup(parameter, year, region or None)
        value, path, source, confidence = found if found is not None else (None, "", "", "")
        rows.append({"parameter": parameter, "label_zh": zh, "label_en": en, "value": value, "shown": shown_value(value),
                     "file": path, "source": source, "confidence": confidence, "needed": parameter in needed})
    return rows


# The groups of a table-valued parameter (the MPI's dimensions) as people name them.
GROUP_LABELS = {"income": "收入", "needs": "两不愁", "guarantees": "三保障和饮水安全", "default": "其他"}


def shown_value(value):
    """A value as a page shows it: a table (the MPI's weights) as "两不愁 1/3（不愁吃 1/2、不愁穿 1/2）；…"
    with the indicators by their labels, anything else as it is."""
    if not isinstance(value, dict):
        return value
    parts = []
    for group, entry in value.items():
        if isinstance(entry, dict) and "indicators" in entry:
            inner = "、".join(f"{_indicator(k)} {w}" for k, w in entry["indicators"].items())
            parts.append(f"{GROUP_LABELS.get(group, group)} {entry.get('weight', '')}（{inner}）")
        else:
            parts.append(f"{GROUP_LABELS.get(group, _indicator(group))} {entry}")
    return "；".join(parts)


def _indicator(key: str) -> str:
    try:
        return rules.label("indicator", key)
    except KeyError:
        return key
