"""image-alt: Lighthouse's, which is axe-core's rule of that name (axe-core 4.14 in Lighthouse 12).

axe-core checks the <img> elements a screen reader meets (not those hidden by aria-hidden,
the hidden attribute or display:none; never those inside <noscript>, which a browser running
scripts does not build) whose role needs a name (no role, or img, link, button…; also
presentation/none). One passes with an alt attribute — its presence, whatever its value: a bare
``<img alt>`` is fine —, a non-empty aria-label or title, an aria-labelledby naming an element
with text, or role="presentation"/"none"; an alt of only spaces fails (it is neither text nor
the empty alt that marks an image decorative). No such image: not applicable.
"""

from __future__ import annotations

from core.seo.audits.base import Outcome, audit, not_applicable, script_note, verdict_of
from core.seo.page import Image, Page


def missing_alt(image: Image) -> bool:
    if image.decorative:
        return False
    named = image.alt is not None or image.labelled
    only_spaces = bool(image.alt) and not image.alt.strip()  # type: ignore[union-attr]
    return not named or only_spaces


@audit("image-alt", title="Image elements have [alt] attributes", group="images", lighthouse=True,
       recommendation="Give every informative image an alt text that says what it shows; "
       "decorative images get alt=\"\".")
def image_alt(page: Page) -> Outcome:
    signs = page.script_signs
    return script_note(page, _image_alt(page), "images a script inserts, removes, shows or "
                       "hides (by changing classes, styles or style sheets)",
                       (["an inline script builds images"] if signs.inserts_images else [])
                       + (["an inline script changes classes or styles"]
                          if signs.changes_styles else []))


def _image_alt(page: Page) -> Outcome:
    images = [i for i in page.images if i.checked and not i.hidden]
    if not images:
        return not_applicable("No images that assistive technology would read.")
    failing = [{"src": i.src, "element": i.html} for i in images if missing_alt(i)]
    return verdict_of(not failing, f"{len(images)} image(s) all have alt text.",
                      f"{len(failing)} image(s) without an alt attribute.", failing)
