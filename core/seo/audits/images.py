"""image-alt: Lighthouse's (through axe-core's rule of that name)."""

from __future__ import annotations

from core.seo.audits.base import Outcome, audit, not_applicable, verdict_of
from core.seo.page import Page


@audit("image-alt", title="Image elements have [alt] attributes", group="images", lighthouse=True,
       recommendation="Give every informative image an alt text that says what it shows; "
       "decorative images get alt=\"\".")
def image_alt(page: Page) -> Outcome:
    images = [i for i in page.images if not i.decorative]
    if not images:
        return not_applicable("No images (other than decorative ones).")
    # axe-core's rule: an alt attribute (empty marks the image decorative) or another
    # accessible name passes; an alt of only spaces fails (it reads as nothing, yet is not "").
    failing = [{"src": i.src, "element": i.html} for i in images
               if (i.alt is None and not i.labelled) or (i.alt and not i.alt.strip())]
    return verdict_of(not failing, f"{len(images)} image(s) all have alt text.",
                      f"{len(failing)} image(s) without an alt attribute.", failing)
