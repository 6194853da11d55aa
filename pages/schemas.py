"""Extractor schemas: list, create, edit (versioned), duplicate, delete, try a sample."""

import streamlit as st

from core.scraping import schemas
from ui.auth import acting_user
from ui.messages import form_key, perform, renew_form, rerun_with, show_flash, succeeded
from ui.runtime import transaction
from ui.schema_form import schema_form
from ui.text import plain

actor = acting_user()
st.title("Extractor schemas")
st.caption("JSON Schemas that extracted items must match. Public schemas are shared with everyone.")
show_flash()

if actor.can_write:
    with st.expander(":material/add: New schema"):
        new = schema_form(form_key("schemas_new"))
        created = new and perform(lambda s: schemas.create_schema(s, actor, new))
        if created:  # open the new schema, empty the form, say so
            renew_form("schemas_new")
            rerun_with(f"Created '{created.name}'.", schemas_open=created.id)

search = st.text_input("Search by name", key="schemas_search")
with transaction() as session:
    table = schemas.list_schemas(session, actor, search)
st.dataframe(table.drop(columns="id"), hide_index=True, width="stretch", column_config={
    "name": st.column_config.TextColumn("Name", width="medium"),
    "version": st.column_config.NumberColumn("Version", format="v%d"),
    "owner": st.column_config.TextColumn("Owner", width="medium"),
    "public": "Public", "strict": "Strict", "extra_fields": "Extra fields",
    "fields": st.column_config.NumberColumn("Fields"),
    "updated_at": st.column_config.DatetimeColumn("Updated", format="YYYY-MM-DD HH:mm"),
})
if table.empty:
    st.info("No schemas yet." if not search else "No schema matches that search.")
    st.stop()

labels = {row.id: f"{row.name} · v{row.version} · {row.owner}" for row in table.itertuples()}
chosen = st.selectbox("Open schema", list(labels), format_func=labels.get, key="schemas_open")
detail = perform(lambda s: schemas.get_schema(s, actor, chosen))
if detail is None:
    st.stop()

edit, try_it, versions = st.tabs(["Edit", "Try it", f"Versions ({len(detail.versions)})"])
with edit:
    if detail.used_by_jobs:
        st.info(f"Used by {plain(', '.join(detail.used_by_jobs))}: saving makes version "
                f"{plain(max(detail.versions) + 1)}; those jobs keep v{plain(detail.version)}.")
    if detail.can_change:
        edited = schema_form(f"schemas_edit_{detail.id}", detail, "Save changes")
        saved = edited and perform(lambda s: schemas.update_schema(s, actor, detail.id, edited))
        if saved:
            rerun_with(f"Saved as version {saved.schema.version}." if saved.new_version
                       else "Saved.", schemas_open=saved.schema.id)
    else:
        st.caption(f"Read-only: owned by {plain(detail.owner_email)}.")
        st.json(detail.definition)
    copy, delete = st.columns(2)
    if actor.can_write and copy.button("Duplicate", key="schemas_duplicate"):
        duplicate = perform(lambda s: schemas.duplicate_schema(s, actor, detail.id))
        if duplicate:
            rerun_with(f"Copied as '{duplicate.name}', a private schema.",
                       schemas_open=duplicate.id)
    if detail.can_change:
        sure = delete.checkbox("I want to delete every version", key=f"schemas_sure_{detail.id}")
        if delete.button("Delete", disabled=not sure, key="schemas_delete") and succeeded(
                lambda s: schemas.delete_schema(s, actor, detail.id)):
            rerun_with(f"Deleted '{detail.name}'.")

with try_it:
    sample = st.text_area("A sample item (JSON)", value="{}", key=f"schemas_sample_{detail.id}")
    if st.button("Validate sample", key="schemas_validate"):
        check = perform(lambda s: schemas.try_sample(s, actor, detail.id, sample))
        if check is not None:
            (st.success if check.valid else st.warning)(check.verdict)
            if check.violations:
                st.table([{"path": v.path, "problem": v.message} for v in check.violations])

with versions:
    shown = st.selectbox("Version", detail.versions[::-1], format_func=lambda v: f"v{v}",
                         key=f"schemas_version_{detail.family_id}")
    older = perform(lambda s: schemas.get_version(s, actor, detail.id, shown))
    if older is not None:
        st.json(older.definition)
