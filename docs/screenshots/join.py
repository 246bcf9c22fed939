"""Take the README's "A colleague or supervisor joins" screenshots from a real session.

    .venv/bin/python docs/screenshots/join.py

Like take.py: gunicorn in demo mode, the visitor on the demo's travel page, the demo agent
co-browsing with them (view only); a colleague, Bob, asks to watch from his workspace, the
demo agent agrees in the widget, the visitor accepts. Writes join-owner.png (the owner's
prompt), join-visitor.png (the visitor's consent card) and join-watcher.png (Bob's widget,
watching) here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from take import PASSWORD, SIZE, agent_says, on_demo, visitor_says  # noqa: E402

from cobrowse.rules.passwords import hash_password  # noqa: E402
from cobrowse.storage.directory import Agent, Directory, FileStore  # noqa: E402


def sign_in(page, url, name):
    page.goto(f"{url}/workspace/")
    page.get_by_test_id("login-username").fill(name)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("logout").wait_for()


def run(server, browser):
    url = server.url.replace("127.0.0.1", "localhost")
    Directory(FileStore(str(Path(server.dir) / "directory.json"))).put_agent(
        Agent(name="bob", password_hash=hash_password(PASSWORD), display="Bob Martin"))
    contexts = [browser.new_context(viewport=SIZE) for _ in range(3)]
    visitor, owner, watcher = (c.new_page() for c in contexts)
    visitor.goto(f"{url}/demo/travel.html")
    visitor.get_by_test_id("cobrowse-chat-open").click()
    visitor_says(visitor, "Can you check my booking before I pay?")
    sign_in(owner, url, "demo")
    owner.get_by_test_id("conversation-take").first.click()
    owner.get_by_test_id("chat-input").wait_for()
    agent_says(owner, "Of course. Let me look at the page with you.")
    owner.get_by_test_id("cobrowse-button").click()
    owner.get_by_test_id("cobrowse-mode-view").click()
    visitor.get_by_test_id("cobrowse-accept").click()
    owner.locator("[data-testid=cobrowse-status][data-state=active]").wait_for()
    owner.wait_for_selector("[data-testid=cobrowse-replica][data-ready]", timeout=20000)

    sign_in(watcher, url, "bob")
    watcher.get_by_test_id("cobrowse-join").first.click()
    prompt = owner.get_by_test_id("cobrowse-join-prompt")
    prompt.wait_for()
    time.sleep(0.5)  # the replica's style sheets and fonts
    owner.screenshot(path=str(HERE / "join-owner.png"))
    prompt.get_by_test_id("cobrowse-join-accept").click()
    card = visitor.get_by_test_id("cobrowse-join-request")
    card.wait_for()
    visitor.screenshot(path=str(HERE / "join-visitor.png"))
    card.get_by_test_id("cobrowse-join-accept").click()
    watcher.locator("[data-testid=cobrowse-status][data-state=active]").wait_for()
    watcher.wait_for_selector("[data-testid=cobrowse-replica][data-ready]", timeout=20000)
    visitor.get_by_test_id("cobrowse-watchers").wait_for()
    watcher.locator("[data-testid=colleague-conversation][data-watch=watching]").wait_for()
    time.sleep(0.5)
    watcher.screenshot(path=str(HERE / "join-watcher.png"))
    for context in contexts:
        context.close()


def main():
    on_demo(run)
    print(f"wrote {', '.join(str(HERE / n) for n in ('join-owner.png', 'join-visitor.png', 'join-watcher.png'))}")


if __name__ == "__main__":
    main()
