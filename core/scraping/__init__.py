"""The main job: extractor schemas (``schemas``), scraping jobs (``jobs``, and ``jobspec``: what a
job means to the engine), runs (``runs``: start, cancel, watch), the run executor (``runner``: fetch
→ render → extract → validate → store in a worker), results (``results``: browse), exports
(``exports``) and the Overview figures (``overview``)."""
