"""Accounts: users and their roles (``users``), password hashing and rules (``passwords``),
sign-in with its attempt log and lock (``auth``), and the first start (``setup``: migrate, first
admin)."""
