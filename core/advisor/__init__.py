"""The architecture advisor (seed 003): a user describes a system; for AWS, Azure or both, a
supervisor hands the work to four domain generators (compute, storage, network, database), a
reducer combines their proposals, a validator checks the design and cites official documentation
as evidence, and an optimizer sends feedback for another iteration — at most three — until the
design is accepted or the run stops with a reason.

This package owns the ``advisor_*`` tables (``db.models.advisor``) and the ``advisor`` workflow
kind's events (written through ``core.timeline``). Its parts, in order:

- ``catalogue`` (+ ``catalogue.json``): the provider service catalogue, with sources and date;
- ``query``: the query's text read for constraints, merged with the JSON given, refused when
  empty or contradictory;
- ``rules``: the rule path (no model): generators, reducer, validator, optimizer;
- ``evidence``: official pages fetched through the engine and the passage that supports a claim;
- ``records``: the service layer: asking, transitions with the seed's guards, reading, cancel;
- ``runner``: one provider run in a worker (``WORK``: queue, heartbeat, cancel, reaper,
  time limit);
- ``export``: the final design with its evidence as Markdown.
"""
