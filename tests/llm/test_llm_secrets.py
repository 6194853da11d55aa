"""API keys at rest: Fernet under a key derived from SCRAPEDECK_SECRET_KEY (or a generated one)."""

from __future__ import annotations

import stat

import pytest

from core.llm import secrets
from core.llm.errors import ProviderKeyUnreadable
from core.platform.settings import get_settings
from core.accounts.setup import _stored_key

KEY = "sk-live-abcdefghijklmnop1234"


def test_a_key_round_trips_and_is_not_in_its_ciphertext(secret_key) -> None:
    token = secrets.encrypt(KEY)
    assert KEY not in token and "abcdefghijklmnop" not in token
    assert secrets.decrypt(token) == KEY
    assert secrets.encrypt(KEY) != token  # a fresh IV each time


def test_another_secret_cannot_read_it_and_asks_to_re_enter_the_key(secret_key) -> None:
    token = secrets.encrypt(KEY)
    with pytest.raises(ProviderKeyUnreadable, match="Re-enter your API key"):
        secrets.decrypt(token, secret="a-rotated-secret")
    with pytest.raises(ProviderKeyUnreadable):
        secrets.decrypt("not a fernet token at all")


def test_without_the_setting_a_secret_is_generated_once_in_the_data_folder(
        tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCRAPEDECK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SCRAPEDECK_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    _stored_key.cache_clear()
    try:
        token = secrets.encrypt(KEY)
        path = tmp_path / "secret.key"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        generated = path.read_text()
        assert secrets.decrypt(token) == KEY
        assert secrets.decrypt(token, secret=generated) == KEY  # that file is the secret
        assert path.read_text() == generated
    finally:
        get_settings.cache_clear()
        _stored_key.cache_clear()


def test_a_saved_key_is_shown_masked() -> None:
    assert secrets.mask(KEY) == "set (ends in …1234)"
    assert secrets.mask("short-key") == "set"
