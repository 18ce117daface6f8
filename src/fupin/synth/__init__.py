"""Deterministic synthetic registry on the real division table (see :mod:`.generator`)."""

from fupin.synth.generator import SynthError, generate

__all__ = ["SynthError", "generate"]
