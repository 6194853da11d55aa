"""The Extractor schemas page: create, bad input, edit into a new version, try it, isolation."""

import json

from core.scraping import schemas
from core.scraping.schemas import SchemaInput
from db.models import ScrapingJob
from tests.pages.conftest import by_label, texts

PRODUCT = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def fill_new_schema(at, name: str, definition: str):  # type: ignore[no-untyped-def]
    at.text_input(key="schemas_new_0_name").input(name)
    at.text_area(key="schemas_new_0_definition").input(definition)
    return by_label(at.button, "Create schema").click().run()


def open_page(app, who):  # type: ignore[no-untyped-def]
    return app(who.email).switch_page("pages/schemas.py").run()


def test_creating_a_schema_lists_it(app, analyst) -> None:
    at = fill_new_schema(open_page(app, analyst), "Product", json.dumps(PRODUCT))
    assert texts(at, "success") == ["Created 'Product'."]
    assert by_label(at.selectbox, "Open schema").options == [f"Product · v1 · {analyst.email}"]


def test_invalid_json_names_line_and_column_and_saves_nothing(app, analyst) -> None:
    at = fill_new_schema(open_page(app, analyst), "Broken", '{\n  "type": "object",\n}')
    assert "line 3, column 1" in texts(at, "error")[0]
    assert texts(at, "info") == ["No schemas yet."]


def test_an_invalid_schema_lists_each_problem_with_its_path(app, analyst) -> None:
    at = fill_new_schema(open_page(app, analyst), "",
                         '{"type": "object", "properties": {"a": {"type": "text"}}}')
    error = texts(at, "error")[0]
    assert "Name is empty" in error and "$.properties.a.type" in error


def test_editing_a_schema_used_by_a_job_makes_a_new_version(app, db, analyst) -> None:
    with db.transaction() as session:
        created = schemas.create_schema(session, analyst, SchemaInput("Product", PRODUCT))
        session.add(ScrapingJob(user_id=analyst.id, name="Daily", target_url="https://x.io",
                                extractor_schema_id=created.id))
    at = open_page(app, analyst)
    assert "saving makes version 2" in texts(at, "info")[0]
    at.text_input(key=f"schemas_edit_{created.id}_name").input("Product (v2)")
    at = by_label(at.button, "Save changes").click().run()
    assert not at.exception
    assert by_label(at.selectbox, "Open schema").options == [f"Product (v2) · v2 · {analyst.email}"]


def test_try_it_lists_violations_with_paths(app, db, analyst) -> None:
    with db.transaction() as session:
        schemas.create_schema(session, analyst, SchemaInput("Product", PRODUCT))
    at = open_page(app, analyst)
    by_label(at.text_area, "A sample item (JSON)").input('{"name": 3}')
    at = by_label(at.button, "Validate sample").click().run()
    assert texts(at, "warning") == ["Strict validation: an item like this would be rejected."]
    assert at.table[0].value.to_dict("records") == [
        {"path": "$.name", "problem": "3 is not of type 'string'"}]


def test_another_analysts_private_schema_is_not_offered(app, db, analyst, make_user) -> None:
    other = make_user("analyst")
    with db.transaction() as session:
        schemas.create_schema(session, other, SchemaInput("Secret", PRODUCT))
        schemas.create_schema(session, other, SchemaInput("Shared", PRODUCT, is_public=True))
    at = open_page(app, analyst)
    assert by_label(at.selectbox, "Open schema").options == [f"Shared · v1 · {other.email}"]
    assert [b.label for b in at.button if b.label == "Save changes"] == []  # read-only
    assert "Read-only" in texts(at, "caption")[-1]


def test_viewers_get_no_forms(app, db, analyst, viewer) -> None:
    with db.transaction() as session:
        schemas.create_schema(session, analyst, SchemaInput("Shared", PRODUCT, is_public=True))
    at = open_page(app, viewer)
    labels = {b.label for b in at.button}
    assert not labels & {"Create schema", "Save changes", "Duplicate", "Delete"}
    assert "Validate sample" in labels


def test_delete_needs_confirmation_then_removes_the_schema(app, db, analyst) -> None:
    with db.transaction() as session:
        schemas.create_schema(session, analyst, SchemaInput("Old", PRODUCT))
    at = open_page(app, analyst)
    assert by_label(at.button, "Delete").disabled
    by_label(at.checkbox, "I want to delete every version").check().run()
    at = by_label(at.button, "Delete").click().run()
    assert texts(at, "info") == ["No schemas yet."]


def test_duplicate_copies_a_public_schema_for_the_caller(app, db, analyst, make_user) -> None:
    other = make_user("analyst")
    with db.transaction() as session:
        schemas.create_schema(session, other, SchemaInput("Shared", PRODUCT, is_public=True))
    at = by_label(open_page(app, analyst).button, "Duplicate").click().run()
    assert texts(at, "success") == ["Copied as 'Copy of Shared', a private schema."]
    with db.transaction() as session:
        mine = schemas.list_schemas(session, analyst, "Copy of")
    assert mine.owner.tolist() == [analyst.email]


def test_a_created_schema_opens_and_the_form_empties(app, db, analyst) -> None:
    with db.transaction() as session:
        schemas.create_schema(session, analyst, SchemaInput("Older", PRODUCT))
    at = fill_new_schema(open_page(app, analyst), "Newer", json.dumps(PRODUCT))
    assert texts(at, "success") == ["Created 'Newer'."]
    assert by_label(at.selectbox, "Open schema").format_func(by_label(at.selectbox, "Open schema").value).startswith("Newer · v1")
    assert at.text_input(key="schemas_new_1_name").value == ""


def test_saving_says_so_after_the_page_refreshes(app, db, analyst) -> None:
    with db.transaction() as session:
        created = schemas.create_schema(session, analyst, SchemaInput("Product", PRODUCT))
    at = open_page(app, analyst)
    at.text_input(key=f"schemas_edit_{created.id}_name").input("Renamed")
    at = by_label(at.button, "Save changes").click().run()
    assert texts(at, "success") == ["Saved."]
    assert by_label(at.selectbox, "Open schema").format_func(by_label(at.selectbox, "Open schema").value).startswith("Renamed")
