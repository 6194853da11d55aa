"""The audits, one module per group. Importing this package registers them all in
``REGISTRY`` in report order: Lighthouse's SEO audits first, then the additional checks."""

from core.seo.audits import (canonical, content, crawlability, images,  # noqa: F401
                             international, links, social, structured_data, technical)
from core.seo.audits.base import (ERROR, FAIL, NOT_APPLICABLE, PASS, REGISTRY, VERDICTS,
                                  AuditResult, AuditSpec, Outcome)
from core.seo.lighthouse import LIGHTHOUSE_ORDER


def _order(spec: AuditSpec) -> tuple[int, int]:
    if spec.id in LIGHTHOUSE_ORDER:
        return 0, LIGHTHOUSE_ORDER.index(spec.id)
    return 1, REGISTRY.index(spec)


AUDITS: tuple[AuditSpec, ...] = tuple(sorted(REGISTRY, key=_order))

__all__ = ["AUDITS", "AuditResult", "AuditSpec", "Outcome", "PASS", "FAIL", "NOT_APPLICABLE",
           "ERROR", "VERDICTS"]
