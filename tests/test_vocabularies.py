"""Closed vocabularies are enums defined once (``vocabularies.py``, plus the few that never
reach a column), and everything that shows or stores them is built from the enum."""

import ast
from enum import StrEnum

import pytest
from sqlalchemy import CheckConstraint

from core.platform.settings import PROJECT_ROOT
from core.timeline.view import Outcome
import vocabularies
from db.models import Base, LoginAttempt, Run, User
from vocabularies import AUDIT_STATUSES, BuildStatus, Role, WorkStatus
from ui import vocabulary

STORED = [v for v in vars(vocabularies).values()  # the formats are here but never stored
          if isinstance(v, type) and issubclass(v, StrEnum)
          and v not in (StrEnum, vocabularies.ReportFormat, vocabularies.GraphFormat)]


def test_a_member_is_its_stored_string() -> None:
    assert WorkStatus.QUEUED == "queued" and f"{WorkStatus.QUEUED}" == "queued"
    assert WorkStatus("canceled") is WorkStatus.CANCELED
    assert WorkStatus.ACTIVE == {"queued", "running"}
    assert WorkStatus.FINISHED == {"completed", "completed_errors", "failed", "canceled",
                                   "stopped_budget", "stopped_cap"}
    assert BuildStatus.CLAIMABLE < BuildStatus.WORKING
    assert Role.CAN_WRITE == {"admin", "analyst"}
    assert WorkStatus.CANCELED not in AUDIT_STATUSES
    assert WorkStatus.STOPPED_BUDGET not in AUDIT_STATUSES


def test_every_check_constraint_lists_its_enum_in_order() -> None:
    checks = {f"{t.name}.{c.name}": str(c.sqltext) for t in Base.metadata.tables.values()
              for c in t.constraints if isinstance(c, CheckConstraint)}
    assert checks["users.ck_users_role"] == "role IN ('admin', 'analyst', 'viewer')"
    assert checks["seo_reports.ck_seo_reports_status"] == \
        "status IN ('queued', 'running', 'completed', 'failed')"
    assert checks["login_attempts.ck_login_attempts_failure_reason"] == \
        "failure_reason IN ('wrong_credentials', 'suspended', 'locked', 'address_locked')"


def test_every_stored_vocabulary_is_checked_by_some_column() -> None:
    checked = " ".join(str(c.sqltext) for t in Base.metadata.tables.values()
                       for c in t.constraints if isinstance(c, CheckConstraint))
    for enum in STORED:
        assert all(f"'{member.value}'" in checked for member in enum), enum.__name__


def test_rows_read_back_as_members_and_a_stray_string_is_refused(db) -> None:
    with db.transaction() as session:
        session.add(LoginAttempt(email="a@example.com", success=False, failure_reason="locked"))
    with db.transaction() as session:
        attempt = session.query(LoginAttempt).one()
        assert attempt.failure_reason is not None and attempt.failure_reason.name == "LOCKED"
    with pytest.raises(Exception, match="'bogus' is not a valid LoginFailure"):
        with db.transaction() as session:
            session.add(LoginAttempt(email="a@example.com", success=False,
                                     failure_reason="bogus"))
    assert Run.status.type.vocabulary is WorkStatus and User.role.type.vocabulary is Role


@pytest.mark.parametrize("table, enum", [
    (vocabulary.WORK_STATUS, vocabularies.WorkStatus),
    (vocabulary.BUILD_STATUS, vocabularies.BuildStatus),
    (vocabulary.CONNECTION_STATUS, vocabularies.ConnectionStatus),
    (vocabulary.FILE_STATUS, vocabularies.FileStatus),
    (vocabulary.SEVERITY, vocabularies.Severity),
    (vocabulary.PAGINATION_TYPE, vocabularies.PaginationType),
    (vocabulary.EXPORT_FORMAT, vocabularies.ExportFormat),
    (vocabulary.ROLE, vocabularies.Role),
    (vocabulary.OUTCOME, Outcome),
], ids=lambda v: getattr(v, "__name__", ""))
def test_the_ui_has_a_word_and_an_icon_for_every_member(table, enum) -> None:
    assert list(table) == list(enum)
    assert all(term.label for term in table.values())
    assert all(term.icon.startswith(":material/") for term in table.values() if term.icon)


def test_the_vocabularies_module_needs_only_the_standard_library() -> None:
    # The engine (core/scrape) reads PaginationType from it without loading database code.
    tree = ast.parse((PROJECT_ROOT / "vocabularies.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for a in node.names}
    assert imported <= {"__future__", "enum", "typing"}
