"""Agents and agent jobs (seed 004). An agent is anything that takes a JSON input and returns a
JSON output: an external HTTP endpoint a user registers, or one of ScrapeDeck's own capabilities.

In dependency order: ``criteria`` (acceptance criteria parsed into checks; pure), ``schemas``
(agent schemas checked against the meta-schema, local ``$ref`` only; item-level validation),
``http`` (one call to an external agent under the URL rules, with a size cap), ``builtin``
(ScrapeDeck's capabilities with their schemas), ``registry`` (register, import a card, list,
each agent's record from its logs), ``jobs`` (create, assign, list, show; claiming) and
``dispatch`` (the worker: call, check, accept or re-submit, log every call).
"""
