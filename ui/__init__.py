"""Streamlit glue shared by app.py and pages/: process-wide handles, sign-in, messages.
Calls core/ only; never SQL, HTTP or subprocesses."""
