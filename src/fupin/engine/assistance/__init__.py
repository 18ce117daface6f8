"""Assistance (帮扶措施), income mechanisms and their rules: ``spec/assistance.md``.

* :mod:`~fupin.engine.assistance.schema` — the fields of the assistance sheets, code lists,
  keys, sheet names and the national wide layout's columns;
* :mod:`~fupin.engine.assistance.catalogue` — the measure catalogue (policy data with sources);
* :mod:`~fupin.engine.assistance.rules` — attribution, "counts", R1–R4 and R9, the coverage
  report (3.11), each a named Polars expression or a set-based function with zh/en labels.

The engine stays pure: frames in, frames out; nothing here reads a file or imports Django.
"""
