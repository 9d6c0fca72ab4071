"""The real app and the real command line on one vault, around every app operation that touches
the file (tests/together.rs runs this inside a private D-Bus session with the accessibility bus
on, under Xvfb, with the app already started on the vault).

Controls are found by their accessible names through AT-SPI, as a screen reader finds them, and
pressed with real pointer clicks and keys (xdotool) at the positions AT-SPI reports. Every app
operation has a command-line write before and after it. Prints, one per line:
  STEP what          as it goes
  ACK app|cli NAME VALUE    a write its side acknowledged (the app's toast, the command's exit 0)
  UNDONE NAME VALUE  an acknowledged write that a restore in the app rightly undid
  FAIL why           something that did not happen (the test fails on any)
"""
import os
import subprocess
import sys
import time

from desktop import *  # noqa: F401,F403 (tests/common/desktop.py, on PYTHONPATH)

BIN = os.environ["TRESOR_BIN"]
VAULT = os.environ["TRESOR_TEST_VAULT"]
OTHER = os.environ["TRESOR_TEST_OTHER_VAULT"]
PASS_FILE = os.environ["TRESOR_TEST_PASS_FILE"]
IMPORT = os.environ["TRESOR_TEST_IMPORT"]
PASS = os.environ["TRESOR_TEST_PASSPHRASE"]
NEW_PASS = os.environ["TRESOR_TEST_NEW_PASSPHRASE"]
OTHER_PASS = os.environ["TRESOR_TEST_OTHER_PASSPHRASE"]


def cli(args, stdin=b"", vault=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "TRESOR_PROJECT", "TRESOR_ENV")}
    cmd = [BIN, "--vault", vault or VAULT, "--passphrase-file", PASS_FILE, *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, env=env, timeout=120)


written = [0]


def cli_write(around):
    """One write of the command line's, named after the app operation it comes around."""
    written[0] += 1
    name = f"CLI_{written[0]}"
    value = f"cli-{written[0]}-{around}"
    result = cli(["set", name], value.encode())
    if result.returncode == 0:
        say("ACK cli", name, value)
    else:
        fail(f"tresor set {name} ({around}): {result.stderr.decode().strip()}")
    return name, value


def acknowledged(text, timeout=30):
    """Whether the app said `text` (a toast) within `timeout` seconds."""
    return wait_for(text, contains=True, timeout=timeout) is not None


def app_write(toast, name, value):
    if acknowledged(toast):
        say("ACK app", name, value)
    else:
        fail(f"the app did not say {toast!r}")


deadline = time.time() + 60
while app() is None and time.time() < deadline:
    time.sleep(0.5)
if app() is None:
    say("NO-APP")
    sys.exit(0)

# A secret of the command line's, deleted and brought back in the app later.
cli_write("start")
if cli(["set", "DELETE_ME"], b"delete-me").returncode == 0:
    say("ACK cli DELETE_ME delete-me")

step("unlock")
unlock(PASS)
cli_write("unlock")

step("create")
click("Create Environment Secret")
type_text("APP_CREATED")
keys("Tab", "Tab")
type_text("app-created")
keys("ctrl+Return")
app_write("Created APP_CREATED in Personal (shared).", "APP_CREATED", "app-created")
cli_write("create")

step("edit")
click("Edit APP_CREATED")
keys("Tab", "Tab")
type_text("app-edited")
keys("ctrl+Return")
app_write("Saved APP_CREATED in Personal (shared), now version 2.", "APP_CREATED", "app-edited")
cli_write("edit")

step("delete and undo")
click("Delete DELETE_ME")
click("Delete", last=True)
if not acknowledged("Deleted DELETE_ME from Personal (shared)."):
    fail("the app did not delete DELETE_ME")
cli_write("delete")
click("Undo")
if not acknowledged("Restored DELETE_ME in Personal (shared)."):
    fail("Undo did not bring DELETE_ME back")
cli_write("undo")

step("import")
click("Vault settings")
type_into("File to import", IMPORT)
click("Review import…")
click("Import", last=True)
if acknowledged("Imported"):
    say("ACK app IMPORTED_ONE imported-one")
    say("ACK app IMPORTED_TWO imported-two")
else:
    fail("the app did not import the file")
cli_write("import")

step("back up now")
click("Back up now")
if not acknowledged("Backed up."):
    fail("the app did not back up")
undone_name, undone_value = cli_write("back up now")

step("restore a backup")
# The one just made by hand (named "Restore the backup from TIME (made by hand)").
click("(made by hand)", contains=True)
type_into("Backup passphrase", PASS, last=True)
click("Restore", last=True)
if acknowledged("Restored the vault as it was on"):
    say("UNDONE", undone_name, undone_value)
else:
    fail("the app did not restore the backup")
cli_write("restore")

step("passphrase change")
click("Vault settings")
type_into("Current passphrase", PASS)
type_into("New passphrase", NEW_PASS)
type_into("Confirm new passphrase", NEW_PASS)
click("Change passphrase")
if acknowledged("Passphrase changed."):
    with open(PASS_FILE, "w") as f:
        f.write(NEW_PASS + "\n")
else:
    fail("the app did not change the passphrase")
cli_write("passphrase change")

step("strengthen")
click("Strengthen")
type_into("Your passphrase", NEW_PASS, last=True)
click("Strengthen", last=True)
if not acknowledged("Key derivation strengthened.", timeout=120):
    fail("the app did not strengthen the key derivation")
cli_write("strengthen")

step("rotate key")
click("Rotate key…")
type_into("Your passphrase", NEW_PASS, last=True)
click("Rotate key", last=True)
if not acknowledged("Vault key rotated", timeout=120):
    fail("the app did not rotate the key")
cli_write("rotate key")

step("lock")
keys("ctrl+l")
if wait_for("Unlock", timeout=20) is None:
    fail("Ctrl+L did not lock")
cli_write("lock")
unlock(NEW_PASS)
cli_write("unlock again")

step("open another vault and back")
keys("ctrl+l")
click("Open another vault…")
type_into("Vault file", OTHER)
keys("Return")
unlock(OTHER_PASS)
cli_write("another vault open")
keys("ctrl+l")
click("Open another vault…")
type_into("Vault file", VAULT)
keys("Return")
unlock(NEW_PASS)
cli_write("back")

step("create after all that")
click("Create Environment Secret")
type_text("APP_LAST")
keys("Tab", "Tab")
type_text("app-last")
keys("ctrl+Return")
app_write("Created APP_LAST in Personal (shared).", "APP_LAST", "app-last")
cli_write("last")
keys("ctrl+q")
time.sleep(2)
say("DONE")
