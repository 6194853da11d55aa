"""Users and Audit log pages (admins)."""

from tests.pages.conftest import by_label, texts

ADMIN = "admin@example.com"


def users_page(app):  # type: ignore[no-untyped-def]
    return app(ADMIN).switch_page("pages/users.py").run()


def test_create_a_user_shows_the_generated_password_once(app) -> None:
    at = users_page(app)
    by_label(at.text_input, "Email").input("ann@example.com")
    by_label(at.text_input, "Name").input("Ann")
    at = by_label(at.button, "Create user").click().run()
    assert "Created ann@example.com. Their password (shown once):" in texts(at, "success")[0]
    assert "ann@example.com" in by_label(at.selectbox, "Manage user").options


def test_a_duplicate_email_is_refused(app) -> None:
    at = users_page(app)
    by_label(at.text_input, "Email").input(ADMIN)
    by_label(at.text_input, "Password").input("long-enough-1")
    at = by_label(at.button, "Create user").click().run()
    assert texts(at, "error") == [f"A user with email {ADMIN} already exists."]


def test_suspend_then_reinstate(app, analyst) -> None:
    at = users_page(app)
    by_label(at.selectbox, "Manage user").set_value(analyst.email).run()
    by_label(at.text_input, "Suspension reason").input("audit")
    at = by_label(at.button, "Suspend").click().run()
    assert f"Suspended: audit" in texts(at, "caption")
    at = by_label(at.button, "Reinstate").click().run()
    assert by_label(at.text_input, "Suspension reason")


def test_an_admin_cannot_suspend_themselves(app) -> None:
    at = users_page(app)
    by_label(at.text_input, "Suspension reason").input("oops")
    at = by_label(at.button, "Suspend").click().run()
    assert "your own account" in texts(at, "error")[0]


def test_the_audit_log_shows_and_filters_admin_actions(app, analyst) -> None:
    at = users_page(app)
    by_label(at.selectbox, "Manage user").set_value(analyst.email).run()
    at.selectbox(key=f"users_role_{analyst.id}").set_value("viewer")  # not the new-user form's
    by_label(at.button, "Change role").click().run()
    at.switch_page("pages/audit_log.py").run()
    log = at.dataframe[0].value
    assert log[["who", "action"]].values.tolist() == [[f"Administrator ({ADMIN})",
                                                       "user.role_change"]]
    # The record by name, the change in words: no ids, no JSON.
    assert log["record"].tolist() == [f"user: {analyst.email}"]
    assert log["changes"].tolist() == ["role: analyst → viewer"]
    assert len(at.dataframe) == 1  # no detail until a row is clicked
    assert any(text.startswith("1 entry (newest first") for text in texts(at, "caption"))
    at.session_state["audit_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.dataframe[1].value.values.tolist() == [["role", "analyst", "viewer"]]
    by_label(at.text_input, "Who (email contains)").input("nobody").run()
    assert at.dataframe[0].value.empty
    assert any(text.startswith("0 entries (newest first") for text in texts(at, "caption"))
