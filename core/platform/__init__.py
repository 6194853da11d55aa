"""Platform: what every capability stands on, and nothing that is a feature of its own.

In dependency order: ``settings`` (every environment variable, typed), ``errors`` (the error tree
whose text a person reads), ``words`` (counts in words: "1 entry", "2 entries"), ``database``
(engine, migrations, the unit of work), ``access`` (who may do what), ``records`` (loading one
record for an actor), ``audit`` (the audit log), ``jsondoc`` (JSON typed by people and JSON
Schema checks), ``schedule`` (cron), ``processes`` (starting ``python -m core.worker``
children), ``work`` (the background-work mechanism: claim, heartbeat, reap, cancel) and ``aio``
(waiting for an event with a time limit).
"""
