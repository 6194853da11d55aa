"""User management: admins only, every action audited, bad input refused whole."""

import pandas as pd
import pytest
from sqlalchemy import func, select

from core.platform import audit

from core.accounts import users
from core.platform.errors import Conflict, PermissionDenied, ValidationError
from core.accounts.setup import announce
from db.models import AuditLog, User


def test_admin_creates_a_user_and_it_is_audited(db, admin) -> None:
    with db.transaction() as session:
        ann = users.create_user(session, admin, " Ann@Example.com ", "Ann", "s3cret-pass", "viewer")
    assert (ann.email, ann.role) == ("ann@example.com", "viewer")
    with db.transaction() as session:
        log = audit.list_entries(session, admin)
    assert log.iloc[0][["who", "action", "entity_id"]].tolist() == [
        admin.email, "user.create", str(ann.id)]


@pytest.mark.parametrize("email, name, password, role, message", [
    ("not-an-email", "Ann", "s3cret-pass", "analyst", "not a valid email"),
    ("ann@example.com", "   ", "s3cret-pass", "analyst", "Name is empty"),
    ("ann@example.com", "A" * 201, "s3cret-pass", "analyst", "longer than 200"),
    ("ann@example.com", "Ann", "short", "analyst", "at least 8 characters"),
    ("ann@example.com", "Ann", "s3cret-pass", "owner", "Role must be one of"),
])
def test_bad_input_is_refused_and_nothing_is_written(db, admin, email, name, password, role,
                                                     message) -> None:
    with pytest.raises(ValidationError, match=message), db.transaction() as session:
        users.create_user(session, admin, email, name, password, role)
    with db.transaction() as session:
        assert session.scalar(select(func.count(User.id))) == 1
        assert session.scalar(select(func.count(AuditLog.id))) == 0


def test_duplicate_email_is_a_conflict(db, admin, analyst) -> None:
    with pytest.raises(Conflict, match="already exists"), db.transaction() as session:
        users.create_user(session, admin, analyst.email.upper(), "Twin", "s3cret-pass")


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_only_admins_manage_users(db, make_user, analyst, role) -> None:
    someone = make_user(role)
    with db.transaction() as session:
        for action in (lambda: users.list_users(session, someone),
                       lambda: users.create_user(session, someone, "x@example.com", "X", "s3cret-pass"),
                       lambda: users.change_role(session, someone, analyst.id, "admin"),
                       lambda: users.suspend(session, someone, analyst.id, "no"),
                       lambda: users.reset_password(session, someone, analyst.id)):
            with pytest.raises(PermissionDenied):
                action()


def test_role_change_suspend_reinstate_and_reset_are_audited(db, admin, analyst) -> None:
    with db.transaction() as session:
        users.change_role(session, admin, analyst.id, "viewer")
        users.suspend(session, admin, analyst.id, "holiday")
        users.reinstate(session, admin, analyst.id)
        new_password = users.reset_password(session, admin, analyst.id)
    assert len(new_password) >= 12
    with db.transaction() as session:
        listed = users.list_users(session, admin).set_index("email")
        log = audit.list_entries(session, admin, audit.AuditFilter(entity_type="user"))
    assert listed.loc[analyst.email, ["role", "status"]].tolist() == ["viewer", "active"]
    assert list(log.action) == ["user.password_reset", "user.reinstate", "user.suspend",
                                "user.role_change"]
    assert log.iloc[-1].old_values == {"role": "analyst"}
    assert log.iloc[-1].new_values == {"role": "viewer"}


def test_an_admin_cannot_demote_or_suspend_themselves(db, admin) -> None:
    with db.transaction() as session:
        with pytest.raises(ValidationError, match="your own account"):
            users.change_role(session, admin, admin.id, "viewer")
        with pytest.raises(ValidationError, match="your own account"):
            users.suspend(session, admin, admin.id, "oops")


def test_suspension_needs_a_reason(db, admin, analyst) -> None:
    with pytest.raises(ValidationError, match="Suspension reason is empty"), db.transaction() as s:
        users.suspend(s, admin, analyst.id, "  ")


def test_first_admin_is_created_once_with_a_generated_password(db) -> None:
    with db.transaction() as session:
        first = users.ensure_first_admin(session, "Boss@Example.com", "")
        again = users.ensure_first_admin(session, "other@example.com", "")
    assert first.email == "boss@example.com" and first.generated_password
    assert again is None
    assert first.generated_password in announce(first)


def test_audit_log_filters_by_who_and_action(db, admin, make_user) -> None:
    other_admin = make_user("admin", email="second@example.com")
    with db.transaction() as session:
        users.create_user(session, admin, "a@example.com", "A", "s3cret-pass")
        users.create_user(session, other_admin, "b@example.com", "B", "s3cret-pass")
    with db.transaction() as session:
        by_second = audit.list_entries(session, admin, audit.AuditFilter(actor_email="second@"))
        none = audit.list_entries(session, admin, audit.AuditFilter(action="user.suspend"))
        assert audit.known_actions(session, admin) == ["user.create"]
    assert by_second.new_values.tolist() == [{"email": "b@example.com", "name": "B",
                                              "role": "analyst"}]
    assert isinstance(none, pd.DataFrame) and none.empty
