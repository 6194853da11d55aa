import pytest

from core.analysis import SamplePage, run_samples
from core.platform.errors import ValidationError

PACKAGE = {"version": 1, "container": "li.product-card", "fields": {
    "name": {"selector": "h3", "transforms": ["strip"]},
    "old_price": {"selector": "del.price-old", "transforms": ["price"]},
}}


def test_hit_rate_and_first_value_per_page_and_flags(catalog_pages) -> None:
    report = run_samples(PACKAGE, catalog_pages)
    assert report.fields["name"].hits == 2 and not report.fields["name"].flagged
    assert report.fields["name"].values == ["Trailblazer Hiking Boot", "Glacier Insulated Bottle"]
    # old prices: the first page's first product has one; the second page's first record not,
    # but a later record does, so the field hits both pages
    assert report.fields["old_price"].values == [159.0, 69.0]
    assert report.errors == {}


def test_a_field_that_works_on_some_samples_only_is_flagged(catalog_pages) -> None:
    bare = SamplePage("https://shop.example/empty", "<html><body>"
                      "<li class='product-card'><h3>Only a name</h3></li></body></html>")
    report = run_samples(PACKAGE, [*catalog_pages, bare])
    assert report.fields["old_price"].hits == 2
    assert report.fields["old_price"].total == 3
    assert report.fields["old_price"].flagged
    assert report.fields["old_price"].values[2] is None


def test_an_invalid_package_is_refused(catalog_pages) -> None:
    with pytest.raises(ValidationError):
        run_samples({"version": 1, "fields": {"x": {"selector": "div["}}}, catalog_pages)
