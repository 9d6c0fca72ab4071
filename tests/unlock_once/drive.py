"""Unlock once with the real app and the real command line (tests/unlock_once.rs runs this inside a
private D-Bus session with the accessibility bus on, under Xvfb, with the app started on the vault
and unlocked). Terminals are real pseudo-terminals, each with an interactive shell of its own as
its session leader, as a terminal window has; the app's approval buttons are pressed with real
clicks (xdotool) where AT-SPI says they are. Prints STEP, OK and FAIL lines, and DONE at the end.
"""
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

from desktop import app, click, fail, find_all, keys, say, step, type_text, unlocked, wait_for

BIN = os.environ["TRESOR_BIN"]
VAULT = os.environ["TRESOR_TEST_VAULT"]
PASS = os.environ["TRESOR_TEST_PASSPHRASE"]
VALUE = os.environ["TRESOR_TEST_VALUE"]
APP_PID = int(os.environ["TRESOR_TEST_APP_PID"])
# The command line as a person's terminal runs it: no passphrase file, no display.
CLI_ENV = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "TRESOR_PASSPHRASE_FILE", "TRESOR_NO_APP")}
CLI_ENV["PATH"] = os.path.dirname(BIN) + ":" + CLI_ENV.get("PATH", "/usr/bin:/bin")
CLI_ENV["TRESOR_VAULT"] = VAULT


def ok(what):
    say("OK", what)


class Terminal:
    """A terminal window: a pseudo-terminal and an interactive shell, its session leader."""

    def __init__(self):
        pid, fd = pty.fork()
        if pid == 0:
            os.execve("/bin/bash", ["bash", "--norc", "--noprofile", "-i"], {**CLI_ENV, "PS1": "$ "})
        self.pid, self.fd, self.seen = pid, fd, b""
        self.read_for(0.5)

    def read_for(self, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    self.seen += os.read(self.fd, 4096)
                except OSError:
                    return

    def start(self, command):
        """Types a command line and Return; `finish` reads what it printed."""
        self.seen = b""
        self.marker = f"__exit_{time.time_ns()}"
        os.write(self.fd, f"{command}; echo {self.marker}=$?\n".encode())

    def wait_for_text(self, text, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text.encode() in self.seen:
                return True
            self.read_for(0.1)
        return False

    def finish(self, timeout=60, passphrase=None):
        """(output, exit code) of the command started last; types `passphrase` when asked."""
        deadline = time.time() + timeout
        typed = False
        pattern = re.compile(re.escape(self.marker.encode()) + rb"=(\d+)")
        while time.time() < deadline:
            # The echo of the typed line holds the marker too, followed by "=$?", not a number.
            found = pattern.search(self.seen)
            if found:
                return self.seen.decode(errors="replace"), int(found.group(1))
            if passphrase is not None and not typed and b"Passphrase" in self.seen:
                os.write(self.fd, (passphrase + "\n").encode())
                typed = True
            self.read_for(0.1)
        return self.seen.decode(errors="replace"), None

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def tool_calls(count):
    """A caller without a terminal, as an editor or an AI coding tool runs commands: one process
    in a session of its own (no controlling terminal) that runs `tresor get` `count` times. Returns
    the Popen; each call's output comes back as lines "CALL n code stdout"."""
    script = (
        "import subprocess,sys\n"
        f"for n in range({count}):\n"
        f"    r = subprocess.run([{BIN!r}, '--vault', {VAULT!r}, 'get', 'OPENAI_API_KEY'],"
        " stdin=subprocess.DEVNULL, capture_output=True)\n"
        "    print('CALL', n, r.returncode, r.stdout.decode(), flush=True)\n"
    )
    return subprocess.Popen(
        ["/usr/bin/python3", "-c", script],
        env=CLI_ENV,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def asked(timeout=20):
    """Whether the approval dialog is up."""
    return wait_for("Allow access to your secrets?", timeout=timeout) is not None


def dialog_gone(timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not find_all("Allow access to your secrets?"):
            return True
        time.sleep(0.2)
    return False


def approve(button):
    # The buttons ignore clicks for a second after the dialog appears: a person reads first.
    time.sleep(1.3)
    if not click(button):
        return
    if not dialog_gone():
        fail(f"the dialog stayed after {button!r}")


deadline = time.time() + 60
while app() is None and time.time() < deadline:
    time.sleep(0.5)
if app() is None or not unlocked():
    say("NO-APP")
    sys.exit(0)

step("the first terminal is asked, and approved with a click")
one = Terminal()
one.start("tresor get OPENAI_API_KEY")
if not asked():
    fail("the app did not ask for the first terminal")
if not one.wait_for_text("Waiting for the Tresor app", 5):
    fail("the command line did not say that it waits for the app")
if not find_all("OPENAI_API_KEY of Personal", contains=True):
    fail("the dialog does not say what is asked for")
if not find_all("/dev/pts/", contains=True):
    fail("the dialog does not name the terminal")
if not find_all("tresor ← bash", contains=True):
    fail("the dialog does not name the program and its parent")
approve("Allow in this terminal")
out, code = one.finish()
if code == 0 and VALUE in out:
    ok("first terminal got the value")
else:
    fail(f"first terminal: exit {code}: {out!r}")

step("the same terminal again: not asked")
start = time.time()
one.start("tresor get OPENAI_API_KEY")
out, code = one.finish(timeout=20)
if code == 0 and VALUE in out and "Waiting" not in out:
    ok(f"same terminal answered without asking in {time.time() - start:.2f} s")
else:
    fail(f"same terminal: exit {code}: {out!r}")

step("a second terminal is asked again, and denied")
two = Terminal()
two.start("tresor get OPENAI_API_KEY")
if not asked():
    fail("the app did not ask for the second terminal")
click("Deny")
out, code = two.finish()
if code == 8 and "Denied in the Tresor app" in out and VALUE not in out:
    ok("second terminal denied with exit 8")
else:
    fail(f"second terminal: exit {code}: {out!r}")

step("a caller without a terminal is asked once for several calls")
tool = tool_calls(3)
if not asked():
    fail("the app did not ask for the tool")
approve("Allow for this tool")
try:
    lines, _ = tool.communicate(timeout=60)
except subprocess.TimeoutExpired:
    tool.kill()
    lines = b""
calls = [line.split(" ", 3) for line in lines.decode().splitlines() if line.startswith("CALL")]
if len(calls) == 3 and all(c[2] == "0" and c[3] == VALUE for c in calls):
    ok("the tool's three calls answered after one approval")
else:
    fail(f"the tool's calls: {lines!r}")

step("Ctrl+L: the next call waits for the locked app, then asks for the passphrase itself")
keys("ctrl+l")
if wait_for("Tresor is locked", timeout=10) is None:
    fail("Ctrl+L did not lock the app")
one.start("tresor get OPENAI_API_KEY")
if wait_for("is waiting: unlock to answer it here", contains=True, timeout=10) is None:
    fail("the lock screen does not name the waiting request")
out, code = one.finish(timeout=60, passphrase=PASS)
if code == 0 and VALUE in out and "locked" in out and "Passphrase" in out:
    ok("after the lock, the terminal fell back to the passphrase")
else:
    fail(f"after the lock: exit {code}: {out!r}")

step("the app killed: the command line goes on without it at once")
os.kill(APP_PID, signal.SIGKILL)
time.sleep(0.5)
start = time.time()
one.start("tresor get OPENAI_API_KEY")
out, code = one.finish(timeout=60, passphrase=PASS)
if code == 0 and VALUE in out and "Waiting" not in out:
    ok(f"after SIGKILL, the passphrase was asked at once ({time.time() - start:.1f} s in all)")
else:
    fail(f"after SIGKILL: exit {code}: {out!r}")
one.close()
two.close()
say("DONE")
