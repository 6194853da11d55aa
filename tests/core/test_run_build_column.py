"""Migration 0022: a run started from a confirmed build keeps ``build_id`` as a column."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from db.migrate import upgrade


def test_runs_that_kept_their_build_in_metadata_get_the_column_filled(
        fresh_database_url) -> None:
    from alembic import command

    from core.platform.database import open_database
    from db.migrate import alembic_config
    from db.models import Build, Run, ScrapingJob, User

    database = open_database(fresh_database_url, migrate=False)
    with database.transaction() as session:
        user = User(email="old@example.com", name="old", role="analyst", password_hash="x")
        session.add(user)
        session.flush()
        job = ScrapingJob(user_id=user.id, name="j", target_url="https://a.test/",
                          target_urls=["https://a.test/"], pagination_type="none",
                          pagination={}, config_package={}, options={})
        build = Build(user_id=user.id, user_objective="o", status="confirmed")
        session.add_all([job, build])
        session.flush()
        ids = {}
        for key in ("from_build", "own", "gone_build"):
            run = Run(job_id=job.id, user_id=user.id, status="completed", target_urls=[],
                      idempotency_key=key)
            session.add(run)
            session.flush()
            ids[key] = run.id
        build_id = build.id
    database.dispose()
    # 0021: runs kept the build in their metadata only
    command.downgrade(alembic_config(fresh_database_url), "0021")
    engine = create_engine(fresh_database_url)
    with engine.begin() as conn:
        for key, meta in (("from_build", f'{{"build_id": "{build_id}"}}'),
                          ("gone_build", f'{{"build_id": "{uuid.uuid4()}"}}')):
            conn.execute(text("UPDATE runs SET metadata = :meta WHERE idempotency_key = :key"),
                         {"meta": meta, "key": key})
    engine.dispose()
    upgrade(fresh_database_url)

    database = open_database(fresh_database_url, migrate=False)
    with database.transaction() as session:
        found = {key: session.get(Run, run_id).build_id for key, run_id in ids.items()}
        assert found == {"from_build": build_id, "own": None, "gone_build": None}
        session.delete(session.get(Build, build_id))
    with database.transaction() as session:  # deleting the build keeps its runs
        run = session.get(Run, ids["from_build"])
        assert run is not None and run.build_id is None
    database.dispose()
