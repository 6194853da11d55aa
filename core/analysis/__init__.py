"""The model-free analysis engine: from an objective and a few sample pages to a JSON Schema and
a config package, and straight extraction with a schema (the ``extract`` command).

Pure functions: no database, no network, no Streamlit. The builds worker calls them.

    wanted_fields(objective)            the fields an objective asks for (names, kinds)
    needs_javascript(html)              the sample must be rendered in Chromium first
    propose(objective, pages, …)        schema + package + page kinds + notes
    run_samples(package, pages)         per-field hit rate and values across the samples
    find_field_for_example(pages, example, package)
                                        a stable selector for a value the user pasted
    extract_with_schema(html, url, schema)
                                        records straight from the analysis (no package)
    extract_explained(html, url, schema)
                                        the same with per-field evidence and confidence

Modules: ``types`` (the data), ``objective`` (words → fields), ``kinds`` (list/detail/article),
``containers`` (the repeated record element), ``selectors`` (stable CSS selectors),
``matching`` (fields → selectors in records), ``detail`` (fields on detail pages: itemprop,
meta, JSON-LD, visible), ``product`` (detail-page product data from structured data and
visible fallbacks), ``enums`` (values → a schema's enum), ``schema`` (schema ↔ wanted fields),
``propose``, ``samples``, ``examples``, ``direct`` (``extract_with_schema``).
"""

from core.analysis.direct import Extraction, extract_explained, extract_with_schema
from core.analysis.examples import find_field_for_example
from core.analysis.kinds import needs_javascript
from core.analysis.objective import wanted_fields
from core.analysis.propose import propose
from core.analysis.samples import run_samples
from core.analysis.types import (ExampleMatch, FieldKind, FieldSample, Proposal, SamplePage,
                                 SampleReport, WantedField)

__all__ = [
    "ExampleMatch", "Extraction", "FieldKind", "FieldSample", "Proposal", "SamplePage",
    "SampleReport", "WantedField", "extract_explained", "extract_with_schema",
    "find_field_for_example", "needs_javascript", "propose", "run_samples", "wanted_fields",
]
