"""Per-field evidence and confidence for a build's package, with the reason a field is flagged.

Each field of the proposed package says where its value comes from (``core.scrape.evidence``)
and a confidence: that source's weight times the share of samples it was found on. A field is
flagged when its confidence is below ``LOW_CONFIDENCE`` or when, over two samples or more, it
reads the same text on every sample (text that does not change between pages is the template,
"Browse" or "Share", not data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.scrape.evidence import LOW_CONFIDENCE, spec_source

# Kinds whose value may rightly be the same on every sample of one site.
_MAY_REPEAT = {"currency", "availability", "boolean", "rating"}


@dataclass(frozen=True)
class FieldEvidence:
    """One field: where it is read (``source`` in words, ``selector`` as written), on how many
    samples it was found, its confidence 0..1, and why it is flagged ("" when it is not)."""

    field: str
    source: str
    selector: str
    found_on: str
    confidence: float
    reason: str

    @property
    def low(self) -> bool:
        return bool(self.reason)


def field_evidence(package: dict[str, Any] | None, report: dict[str, Any] | None,
                   kinds: dict[str, str] | None = None) -> list[FieldEvidence]:
    """Evidence for every field of ``package`` from the sample ``report`` (hits, total and
    values per field, as the build stores it); ``kinds``: field → FieldKind value."""
    samples = (report or {}).get("fields") or {}
    found = []
    for name, spec in ((package or {}).get("fields") or {}).items():
        source = spec_source(spec)
        sample = samples.get(name) or {}
        hits, total = int(sample.get("hits", 0)), int(sample.get("total", 0))
        share = hits / total if total else 0.0
        confidence = round(source.weight * share, 2)
        reasons = []
        if total and hits < total:
            reasons.append(f"found on {hits} of {total} samples")
        values = [v for v in sample.get("values") or [] if v not in (None, "", [])]
        if (len(values) >= 2 and len({str(v) for v in values}) == 1
                and (kinds or {}).get(name) not in _MAY_REPEAT):
            reasons.append(f"the same text on every sample ({str(values[0])[:40]!r}): template "
                           "text, not data?")
            confidence = round(min(confidence, 0.5), 2)
        if source.kind == "position in the page":
            reasons.append("read by its position only (no label, class or structured data)")
        if confidence < LOW_CONFIDENCE and not reasons:
            reasons.append(f"low confidence ({confidence:.2f})")
        found.append(FieldEvidence(name, source.kind, source.selector, f"{hits}/{total}",
                                   confidence, "; ".join(reasons)))
    return found
