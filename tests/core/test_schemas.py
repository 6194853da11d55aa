"""Extractor schemas: validation with located messages, versions, visibility and rights."""

import json
import uuid

import pytest
from sqlalchemy import func, select

from core.scraping import schemas
from core.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.scraping.schemas import SchemaInput
from db.models import ExtractorSchema, ScrapingJob

PRODUCT = {"type": "object", "properties": {"name": {"type": "string"},
                                            "price": {"type": "number", "minimum": 0}},
           "required": ["name"]}


def create(db, actor, name="Product", definition=PRODUCT, **flags):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return schemas.create_schema(session, actor, SchemaInput(
            name=name, definition=json.dumps(definition, indent=2), **flags))


def use_in_job(db, owner, schema_id) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        session.add(ScrapingJob(user_id=owner.id, name="Nightly products", target_url="https://x.io",
                                extractor_schema_id=schema_id))


def count_rows(db) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return session.scalar(select(func.count(ExtractorSchema.id)))


def test_create_and_list(db, analyst) -> None:
    created = create(db, analyst)
    with db.transaction() as session:
        table = schemas.list_schemas(session, analyst)
    assert created.version == 1 and created.definition == PRODUCT
    assert table[["name", "version", "owner", "fields"]].values.tolist() == [
        ["Product", 1, analyst.email, 2]]


def test_a_json_syntax_error_names_line_and_column(db, analyst) -> None:
    with pytest.raises(ValidationError) as err, db.transaction() as session:
        schemas.create_schema(session, analyst, SchemaInput(
            name="Broken", definition='{\n  "type": "object",\n  "properties": {,}\n}'))
    assert "line 3, column 18" in str(err.value)
    assert count_rows(db) == 0


def test_every_meta_schema_problem_is_listed_with_its_path(db, analyst) -> None:
    bad = {"type": "object", "properties": {"price": {"type": "money"},
                                            "tags": {"type": "array", "minItems": -1}}}
    with pytest.raises(ValidationError) as err:
        create(db, analyst, definition=bad)
    text = str(err.value)
    assert "$.properties.price.type" in text and "$.properties.tags.minItems" in text
    assert count_rows(db) == 0


def test_a_pattern_that_is_not_a_regular_expression_is_refused_where_it_is(db, analyst) -> None:
    bad = {"type": "object", "properties": {"sku": {"type": "string", "pattern": "([a-z"}},
           "patternProperties": {"^x-(": {"type": "string"}}}
    with pytest.raises(ValidationError) as err:
        create(db, analyst, definition=bad)
    text = str(err.value)
    assert "$.properties.sku.pattern: '([a-z' is not a 'regex'" in text
    assert "$.patternProperties: '^x-(' is not a 'regex'" in text
    assert count_rows(db) == 0


def test_name_and_definition_problems_are_reported_together(db, analyst) -> None:
    with pytest.raises(ValidationError) as err:
        create(db, analyst, name="", definition=[1, 2])
    assert "Name is empty" in str(err.value) and "must be a JSON object" in str(err.value)


@pytest.mark.parametrize("definition", ["", "   ", "x" * 1_000_001])
def test_empty_or_huge_definitions_are_refused(db, analyst, definition) -> None:
    with pytest.raises(ValidationError), db.transaction() as session:
        schemas.create_schema(session, analyst, SchemaInput(name="X", definition=definition))


def test_root_must_describe_objects(db, analyst) -> None:
    with pytest.raises(ValidationError, match="root type must be"):
        create(db, analyst, definition={"type": "array"})


def test_editing_an_unused_schema_changes_it_in_place(db, analyst) -> None:
    created = create(db, analyst)
    with db.transaction() as session:
        outcome = schemas.update_schema(session, analyst, created.id, SchemaInput(
            name="Product v2", definition=PRODUCT | {"required": ["name", "price"]}))
    assert not outcome.new_version
    assert (outcome.schema.id, outcome.schema.version) == (created.id, 1)
    assert count_rows(db) == 1


def test_editing_a_schema_a_job_uses_makes_a_new_version_and_the_job_keeps_its_own(
        db, analyst) -> None:
    created = create(db, analyst)
    use_in_job(db, analyst, created.id)
    with db.transaction() as session:
        outcome = schemas.update_schema(session, analyst, created.id, SchemaInput(
            name="Product", definition=PRODUCT | {"required": ["name", "price"]}))
    assert outcome.new_version and outcome.schema.version == 2
    assert outcome.schema.versions == [1, 2]
    with db.transaction() as session:
        job_schema = session.scalar(select(ScrapingJob.extractor_schema_id))
        old = schemas.get_schema(session, analyst, job_schema)
        listed = schemas.list_schemas(session, analyst)
    assert (old.version, old.definition) == (1, PRODUCT)
    assert listed.version.tolist() == [2]  # the list shows the latest version only


def test_duplicate_makes_a_private_copy_owned_by_the_caller(db, analyst, make_user) -> None:
    other = make_user("analyst")
    public = create(db, analyst, is_public=True)
    with db.transaction() as session:
        copy = schemas.duplicate_schema(session, other, public.id)
    assert copy.owner_email == other.email and not copy.is_public
    assert copy.name == "Copy of Product" and copy.family_id != public.family_id


def test_delete_removes_every_version_but_not_while_a_job_uses_one(db, analyst) -> None:
    created = create(db, analyst)
    use_in_job(db, analyst, created.id)
    with pytest.raises(Conflict, match="Nightly products"), db.transaction() as session:
        schemas.delete_schema(session, analyst, created.id)
    other = create(db, analyst, name="Unused")
    with db.transaction() as session:
        assert schemas.delete_schema(session, analyst, other.id) == 1
    assert count_rows(db) == 1


def test_try_it_lists_each_violation_with_its_path(db, analyst) -> None:
    created = create(db, analyst, allow_extra_fields=False)
    with db.transaction() as session:
        check = schemas.try_sample(session, analyst, created.id,
                                   '{"price": -3, "colour": "red"}')
        good = schemas.try_sample(session, analyst, created.id, '{"name": "Lamp", "price": 9.5}')
    assert not check.valid and check.strict
    assert [(v.path, v.message) for v in check.violations] == [
        ("$", "'name' is a required property"),
        ("$", "Additional properties are not allowed ('colour' was unexpected)"),
        ("$.price", "-3 is less than the minimum of 0"),
    ]
    assert good.valid and good.verdict == "The sample matches the schema."


def test_try_it_reports_bad_sample_json(db, analyst) -> None:
    created = create(db, analyst)
    with pytest.raises(ValidationError, match="line 1, column 2"), db.transaction() as session:
        schemas.try_sample(session, analyst, created.id, "{oops}")


class TestIsolation:
    """An analyst never reads or changes another analyst's private schema; viewers change nothing."""

    def test_private_schemas_are_invisible_to_other_analysts(self, db, analyst, make_user) -> None:
        private = create(db, analyst)
        other = make_user("analyst")
        with db.transaction() as session:
            assert schemas.list_schemas(session, other).empty
            for action in (lambda: schemas.get_schema(session, other, private.id),
                           lambda: schemas.try_sample(session, other, private.id, "{}"),
                           lambda: schemas.duplicate_schema(session, other, private.id),
                           lambda: schemas.export_document(session, other, private.id),
                           lambda: schemas.delete_schema(session, other, private.id),
                           lambda: schemas.update_schema(session, other, private.id,
                                                         SchemaInput("Hijack", PRODUCT))):
                with pytest.raises(NotFound):
                    action()

    def test_public_schemas_are_readable_but_not_changeable(self, db, analyst, make_user) -> None:
        public = create(db, analyst, is_public=True)
        other = make_user("analyst")
        with db.transaction() as session:
            seen = schemas.get_schema(session, other, public.id)
            assert not seen.can_change
            with pytest.raises(PermissionDenied, match="owner or an admin"):
                schemas.update_schema(session, other, public.id, SchemaInput("Hijack", PRODUCT))
            with pytest.raises(PermissionDenied):
                schemas.delete_schema(session, other, public.id)

    def test_viewers_change_nothing(self, db, analyst, viewer) -> None:
        public = create(db, analyst, is_public=True)
        with db.transaction() as session:
            assert schemas.get_schema(session, viewer, public.id).name == "Product"
            for action in (lambda: schemas.create_schema(session, viewer, SchemaInput("V", PRODUCT)),
                           lambda: schemas.duplicate_schema(session, viewer, public.id),
                           lambda: schemas.delete_schema(session, viewer, public.id)):
                with pytest.raises(PermissionDenied, match="read-only"):
                    action()

    def test_admins_see_and_change_everything(self, db, analyst, admin) -> None:
        private = create(db, analyst)
        with db.transaction() as session:
            assert schemas.list_schemas(session, admin).name.tolist() == ["Product"]
            schemas.update_schema(session, admin, private.id, SchemaInput("Fixed", PRODUCT))
            assert schemas.get_schema(session, analyst, private.id).name == "Fixed"

    def test_an_unknown_or_malformed_id_is_not_found(self, db, analyst) -> None:
        with db.transaction() as session:
            for bad in (uuid.uuid4(), "not-a-uuid"):
                with pytest.raises(NotFound):
                    schemas.get_schema(session, analyst, bad)


def test_try_it_checks_formats_the_schema_names(db, analyst) -> None:
    created = create(db, analyst, definition={
        "type": "object", "properties": {"url": {"type": "string", "format": "uri"},
                                         "seen": {"type": "string", "format": "date-time"}}})
    with db.transaction() as session:
        check = schemas.try_sample(session, analyst, created.id,
                                   '{"url": "not a url", "seen": "yesterday"}')
    assert [(v.path, v.message) for v in check.violations] == [
        ("$.seen", "'yesterday' is not a 'date-time'"), ("$.url", "'not a url' is not a 'uri'")]
