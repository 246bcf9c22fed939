"""Single sign-on's rules on the claims, without a provider: the allowed groups, the agent's
name and display name from the configured claims, the agent created on first sign-in and
never another account's (tests/test_sso.py runs the whole flow against a real provider)."""

from types import SimpleNamespace

import pytest

from cobrowse.config import Config
from cobrowse.rules.sso import SingleSignOn, SsoError
from cobrowse.storage import create_broker
from cobrowse.storage.directory import Agent, BrokerStore, Directory

ISSUER = "https://idp.example"


@pytest.fixture
def sso():
    broker = create_broker(None)
    config = Config(demo=True, oidc_issuer=ISSUER, oidc_client_id="ws", oidc_client_secret="s",
                    oidc_groups="support, admins", oidc_name_claim="email", oidc_display_claim="name")
    yield SingleSignOn(SimpleNamespace(config=config, broker=broker,
                                       directory=Directory(BrokerStore(broker))))
    broker.close()


def claims(**extra):
    return {"sub": "u-1", "email": "alice@example.com", "name": "Alice A.", "groups": ["support"], **extra}


def test_first_sign_in_creates_the_agent_then_finds_it(sso):
    agent = sso._agent(claims())
    assert (agent.name, agent.display, agent.password_hash) == ("alice-example.com", "Alice A.", "")
    assert agent.sso_subject == f"{ISSUER}|u-1"
    assert sso.core.directory.agent("alice-example.com") == agent
    renamed = sso._agent(claims(name="Alice Ames"))
    assert renamed.display == "Alice Ames" and sso.core.directory.agent(renamed.name).display == "Alice Ames"


@pytest.mark.parametrize("bad, code", [
    ({"groups": ["sales"]}, "sso_group"),
    ({"groups": []}, "sso_group"),
    ({"groups": None}, "sso_group"),
    ({"email": ""}, "sso_name"),
])
def test_refusals_on_the_claims(sso, bad, code):
    with pytest.raises(SsoError) as err:
        sso._agent(claims(**bad))
    assert err.value.code == code and err.value.status == 403


def test_a_password_agent_of_the_same_name_is_not_taken_over(sso):
    sso.core.directory.put_agent(Agent(name="alice-example.com", password_hash="x", display="Alice"))
    with pytest.raises(SsoError, match="already exists") as err:
        sso._agent(claims())
    assert err.value.code == "sso_taken"
    other = sso._agent(claims(sub="u-2", email="bob@example.com"))
    with pytest.raises(SsoError, match="already exists"):
        sso._agent(claims(sub="u-3", email="bob@example.com"))  # another account, same name
    assert other.name == "bob-example.com"


def test_a_group_claim_may_be_a_single_string(sso):
    assert sso._agent(claims(groups="admins")).name == "alice-example.com"
