"""The signature checks of docs/integration.md, run as printed there, against what the
server signs (issue 13: "the receiver can verify it with the documented recipe")."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cobrowse.rules.webhooks import sign

DOC = (Path(__file__).resolve().parents[1] / "docs" / "integration.md").read_text()
BODY = json.dumps({"id": "evt_1", "type": "session.started", "data": {"é": "ü"}}).encode()
SECRET = "whsec_docs-test"


def block(language: str, marker: str) -> str:
    [code] = [c for c in re.findall(rf"```{language}\n(.*?)```", DOC, re.S) if marker in c]
    return code


def test_the_python_recipe_accepts_our_signature_and_nothing_else():
    scope: dict = {}
    exec(block("python", "def verify_webhook"), scope)  # noqa: S102 - the documented code
    verify = scope["verify_webhook"]
    assert verify(SECRET, BODY, sign(SECRET, BODY))
    assert not verify("whsec_other", BODY, sign(SECRET, BODY))
    assert not verify(SECRET, BODY + b" ", sign(SECRET, BODY))
    assert not verify(SECRET, BODY, None)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node (make setup installs nodejs)")
def test_the_javascript_recipe_accepts_our_signature_and_nothing_else():
    import base64

    script = block("js", "function verifyWebhook") + """
const [encoded, secret, good] = process.argv.slice(-3);  // node -e: no script path in argv
const body = Buffer.from(encoded, "base64");
console.log(JSON.stringify([verifyWebhook(secret, body, good), verifyWebhook("x", body, good),
  verifyWebhook(secret, Buffer.concat([body, Buffer.from(" ")]), good), verifyWebhook(secret, body, undefined)]));
"""
    out = subprocess.run(["node", "-e", script, base64.b64encode(BODY).decode(), SECRET,
                          sign(SECRET, BODY)], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(out.stdout) == [True, False, False, False]
