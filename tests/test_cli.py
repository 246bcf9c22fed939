"""The operator's CLI, in-process, against the file store of the embedded broker: an agent
added while the server runs can sign in at once."""

import io

import pytest

from cobrowse import cli, create_app
from cobrowse.errors import CobrowseError
from tests.support.actors import Agent, flask_transport


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COBROWSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COBROWSE_REDIS_URL", raising=False)
    monkeypatch.delenv("COBROWSE_CONFIG", raising=False)
    return tmp_path


def run(*argv, stdin=""):
    out = io.StringIO()
    code = cli.run(list(argv), stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue()


def test_agent_added_while_the_server_runs_can_sign_in(data_dir):
    app = create_app({"demo": True, "data_dir": str(data_dir), "reaper_interval": 3600})
    try:
        agent = Agent(flask_transport(app.test_client()))
        agent.login("zoe", "a-long-password", expect=401)
        assert run("agent", "add", "zoe", "--password-stdin", "--display", "Zoë",
                   stdin="a-long-password\n") == (0, "agent zoe added\n")
        assert agent.login("zoe", "a-long-password")["agent"]["display"] == "Zoë"
    finally:
        app.extensions["cobrowse"].drain()


def test_agents_are_listed_updated_and_removed(data_dir):
    run("agent", "add", "ann", "--password-stdin", stdin="password-one\n")
    assert run("agent", "add", "ann", "--password-stdin", stdin="password-two\n")[1] == "agent ann updated\n"
    assert run("agent", "list")[1] == "ann\tann\n"
    assert run("agent", "remove", "ann") == (0, "agent ann removed\n")
    assert run("agent", "list")[1] == ""


def test_the_supervisor_flag_is_stored_listed_and_kept(data_dir):
    run("agent", "add", "sam", "--password-stdin", "--supervisor", stdin="password-one\n")
    run("agent", "add", "ann", "--password-stdin", stdin="password-one\n")
    assert run("agent", "list")[1] == "ann\tann\nsam\tsam\tsupervisor\n"
    # A new password keeps the flag; --no-supervisor takes it away.
    run("agent", "add", "sam", "--password-stdin", stdin="password-two\n")
    assert "sam\tsam\tsupervisor" in run("agent", "list")[1]
    run("agent", "add", "sam", "--password-stdin", "--no-supervisor", stdin="password-two\n")
    assert run("agent", "list")[1] == "ann\tann\nsam\tsam\n"


def test_short_passwords_and_unknown_agents_are_refused(data_dir, capsys):
    with pytest.raises(CobrowseError, match="at least 8"):
        run("agent", "add", "ann", "--password-stdin", stdin="short\n")
    assert run("agent", "list")[1] == ""
    code = cli.main(["agent", "remove", "nobody"])
    assert code == 1 and "no agent named" in capsys.readouterr().err


def test_sites_with_masks_and_resource_origins(data_dir, capsys):
    code, out = run("site", "add", "shop", "--origin", "https://www.shop.example/",
                    "--origin", "https://shop.example", "--mask", "#card-number",
                    "--resource-origin", "https://cdn.example")
    assert code == 0
    listed = run("site", "list")[1]
    assert '"origins": ["https://www.shop.example", "https://shop.example"]' in listed
    assert '"#card-number"' in listed and "https://cdn.example" in listed
    assert cli.main(["site", "add", "x", "--origin", "https://x.example", "--mask", "a[[["]) == 1
    assert "not valid CSS" in capsys.readouterr().err
    assert cli.main(["site", "add", "x", "--origin", "ftp://x.example"]) == 1
    assert run("site", "remove", "shop") == (0, "site shop removed\n")


def test_integrations_print_their_credentials_once_and_the_key_works(data_dir):
    app = create_app({"demo": True, "data_dir": str(data_dir), "reaper_interval": 3600})
    try:
        code, out = run("integration", "add", "crm", "--webhook", "https://crm.example/hooks")
        lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
        assert code == 0 and lines["api key"].startswith("cbk_")
        assert lines["webhook secret"].startswith("whsec_")
        assert lines["api key"] not in (data_dir / "directory.json").read_text()
        client = app.test_client()
        answer = client.get("/api/v1/integration/invitations/i_x",
                            headers={"Authorization": f"Bearer {lines['api key']}"})
        assert answer.status_code == 404  # known key, unknown invitation
        assert run("integration", "list") == (0, "crm\thttps://crm.example/hooks\n")
        assert run("integration", "remove", "crm") == (0, "integration crm removed\n")
        with pytest.raises(CobrowseError):
            run("integration", "remove", "crm")
        with pytest.raises(CobrowseError):
            run("integration", "add", "bad", "--webhook", "ftp://x")
    finally:
        app.extensions["cobrowse"].drain()


def test_a_site_without_our_chat_window(data_dir):
    assert run("site", "add", "quiet", "--origin", "https://q.example", "--no-ui")[0] == 0
    assert '"ui": false' in run("site", "list")[1]
