"""The lock screen used through AT-SPI alone, as voice control does (tests/atspi.rs runs it):
the passphrase set through the field's editable text, Unlock pressed through its action. A
wrong passphrase first, then the right one. Prints what happened, one line each."""
import os
import sys
import time

import pyatspi
from desktop import app, nodes  # tests/common/desktop.py, on PYTHONPATH

PASS = os.environ["TRESOR_TEST_PASSPHRASE"]


def find(name, role, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        root = app()
        if root is not None:
            for node in nodes(root):
                try:
                    if node.name == name and node.getRoleName() == role:
                        return node
                except Exception:
                    pass
        time.sleep(0.25)
    return None


def press_unlock(passphrase, tag):
    field = find("Passphrase", "password text")
    if field is None:
        print(f"{tag}: no passphrase field", flush=True)
        return False
    field.queryEditableText().setTextContents(passphrase)
    time.sleep(0.7)
    button = find("Unlock", "push button")
    try:
        action = button.queryAction()
    except NotImplementedError:
        print(f"{tag}: Unlock has no action", flush=True)
        return False
    if not button.getState().contains(pyatspi.STATE_ENABLED):
        print(f"{tag}: Unlock is disabled", flush=True)
        return False
    print(f"{tag}: Unlock has its action", flush=True)
    action.doAction(0)
    return True


deadline = time.time() + 30
while app() is None and time.time() < deadline:
    time.sleep(0.5)
if app() is None:
    print("NO-APP")
    sys.exit(0)

if press_unlock("not the passphrase", "wrong"):
    time.sleep(3)
    if find("Create Environment Secret", "push button", timeout=1) is None:
        print("wrong: refused", flush=True)
if press_unlock(PASS, "again"):
    if find("Create Environment Secret", "push button", timeout=20) is not None:
        print("unlocked", flush=True)
