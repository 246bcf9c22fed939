"""Configuration: defaults in code, then COBROWSE_* variables, then the COBROWSE_CONFIG file."""

import pytest

from cobrowse import config
from cobrowse.errors import ConfigError

STRONG = "s" * 40


def test_defaults_then_environment_then_file(tmp_path):
    assert config.load(environ={}).poll_hold == 25.0
    env = {"COBROWSE_POLL_HOLD": "10", "COBROWSE_DEMO": "yes", "COBROWSE_INVITE_TTL": "30"}
    assert config.load(environ=env).poll_hold == 10.0
    assert config.load(environ=env).demo is True
    path = tmp_path / "cobrowse.toml"
    path.write_text('poll_hold = 20\nredis_url = "redis://10.0.0.1/2"\n')
    cfg = config.load(environ={**env, "COBROWSE_CONFIG": str(path)})
    assert cfg.poll_hold == 20.0 and cfg.redis_url == "redis://10.0.0.1/2"
    assert cfg.invite_ttl == 30  # from the environment, not overridden by the file


@pytest.mark.parametrize("content, reason", [
    ("nonsense = 1\n", "unknown setting"),
    ("poll_hold = 'soon'\n", "must be a number"),
    ("poll_hold = [\n", "cannot read"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "c.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=reason):
        config.load(environ={"COBROWSE_CONFIG": str(path)})


def test_a_missing_file_is_refused():
    with pytest.raises(ConfigError, match="cannot read"):
        config.load(environ={"COBROWSE_CONFIG": "/nonexistent/cobrowse.toml"})


@pytest.mark.parametrize("secret", ["", "dev", "secret", "short-key"])
def test_weak_secret_keys_are_refused_outside_demo_mode(secret):
    with pytest.raises(ConfigError, match="COBROWSE_SECRET_KEY"):
        config.load(environ={"COBROWSE_SECRET_KEY": secret}).validate()
    assert config.load(environ={"COBROWSE_SECRET_KEY": secret, "COBROWSE_DEMO": "1"}).validate()


def test_a_strong_key_starts_and_the_hold_is_bounded():
    assert config.load(environ={"COBROWSE_SECRET_KEY": STRONG}).validate().secret_key == STRONG
    with pytest.raises(ConfigError, match="poll_hold"):
        config.load(environ={"COBROWSE_SECRET_KEY": STRONG, "COBROWSE_POLL_HOLD": "500"}).validate()


@pytest.mark.parametrize("env, reason", [
    ({"COBROWSE_OIDC_ISSUER": "https://login.example.com"}, "CLIENT_ID"),
    ({"COBROWSE_OIDC_ISSUER": "http://login.example.com", "COBROWSE_OIDC_CLIENT_ID": "a",
      "COBROWSE_OIDC_CLIENT_SECRET": "b"}, "https://"),
    ({"COBROWSE_PASSWORD_SIGNIN": "0"}, "needs single sign-on"),
])
def test_single_sign_on_settings_are_checked(env, reason):
    with pytest.raises(ConfigError, match=reason):
        config.load(environ={"COBROWSE_DEMO": "1", **env}).validate()


def test_single_sign_on_settings_from_the_environment():
    cfg = config.load(environ={"COBROWSE_DEMO": "1", "COBROWSE_OIDC_ISSUER": "https://idp.example",
                               "COBROWSE_OIDC_CLIENT_ID": "ws", "COBROWSE_OIDC_CLIENT_SECRET": "s",
                               "COBROWSE_PASSWORD_SIGNIN": "0"}).validate()
    assert cfg.sso and not cfg.password_signin and cfg.oidc_name_claim == "preferred_username"
