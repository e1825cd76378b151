from __future__ import annotations

import pytest

from ocrmill.config import Settings, is_loopback
from ocrmill.errors import WeakPassword
from ocrmill.service.auth.passwords import acceptable, random_password


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.168.1.20", "10.0.0.1", "ocr.example.org", "fe80::1"])
def test_network_hosts(host: str) -> None:
    assert not is_loopback(host)


def test_only_a_network_address_without_auth_and_without_the_override_is_exposed() -> None:
    assert Settings(host="0.0.0.0").exposed_without_auth
    assert not Settings(host="127.0.0.1").exposed_without_auth
    assert not Settings(host="0.0.0.0", auth=True).exposed_without_auth
    assert not Settings(host="0.0.0.0", insecure_no_auth=True).exposed_without_auth


def test_passwords_need_twelve_characters() -> None:
    assert acceptable("twelve-chars") == "twelve-chars"
    for short in ("", "x", "elevenchars"):
        with pytest.raises(WeakPassword) as refused:
            acceptable(short)
        assert refused.value.http_status == 400
        assert refused.value.message == f"password: must be at least 12 characters long (got {len(short)})."
    assert len(random_password()) >= 12 and random_password() != random_password()
