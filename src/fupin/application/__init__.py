"""The application layer: one function per job a user does, between the entry points and the core.

Entry points (``fupin.cli``, ``fupin.web``, ``fupin.api``, ``fupin.worker``) parse their input,
call one function here and render its result. Each function takes a
:class:`~fupin.accounts.scoping.Scope` (from a signed-in user, or the command line's operator
narrowed to a region) and, where rules are applied, the policy of the one provider
(:mod:`fupin.application.policy`). Orchestration — reading the registry in bulk, running the
engine, storing runs and figures, handing leads to the villages, queueing long work — happens here
and nowhere else. See docs/decisions/0005-application-layer.md.

* :mod:`~fupin.application.policy` — the deployment's policy files, loaded once;
* :mod:`~fupin.application.files` — assess, check, explain registry files without a database;
* :mod:`~fupin.application.registry` — import, export, edit households and members;
* :mod:`~fupin.application.assessment` — assess a year, refresh figures, explain, check;
* :mod:`~fupin.application.monitoring` — match department lists, leads, the workflow, eliminations;
* :mod:`~fupin.application.jobs` — start long work as background jobs, and run them.
"""
