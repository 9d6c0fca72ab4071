"""What the drivers of the real app share (tests/together/drive.py, tests/unlock_once/drive.py,
tests/atspi/*.py): the app found on the accessibility bus (AT-SPI), its controls found by their
accessible names, as a screen reader finds them, and pressed with real pointer clicks and keys
(xdotool) at the positions AT-SPI reports. Lines printed: STEP what, FAIL why (a test fails on
any)."""
import subprocess
import time

import pyatspi


def say(*words):
    print(*words, flush=True)


def fail(why):
    say("FAIL", why)


def app():
    for candidate in pyatspi.Registry.getDesktop(0):
        if candidate is not None and (candidate.name or "").lower().startswith("tresor") and candidate.childCount > 0:
            return candidate
    return None


def nodes(root):
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        try:
            children = [node.getChildAtIndex(i) for i in range(node.childCount)]
        except Exception:
            children = []
        stack.extend(reversed([c for c in children if c is not None]))


FIELDS = ("entry", "text", "password text")
BUTTONS = ("push button", "toggle button", "link", "menu item", "tab", "page tab", "list item", "check box", "radio button")


def find_all(name, contains=False, roles=None):
    """Every node shown on screen whose accessible name is (or contains) `name` (and whose role is
    one of `roles`, when given), with its extents."""
    found = []
    root = app()
    if root is None:
        return found
    for node in nodes(root):
        try:
            label = node.name or ""
            if (label == name or (contains and name in label)) and (roles is None or node.getRoleName() in roles):
                extents = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
                if extents.width > 0 and extents.height > 0:
                    found.append((node, extents))
        except Exception:
            pass
    return found


def wait_for(name, contains=False, timeout=20, last=False, roles=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = find_all(name, contains, roles)
        if found:
            return found[-1] if last else found[0]
        time.sleep(0.25)
    return None


def click(name, last=False, timeout=20, roles=BUTTONS, contains=False):
    """A real click at the middle of the control named `name` (with `last`, the last one: a
    dialog's, drawn over the page's control of the same name)."""
    found = wait_for(name, contains=contains, timeout=timeout, last=last, roles=roles)
    if found is None:
        fail(f"no control named {name!r}")
        return False
    # Below or above what the window shows (a long settings page): the wheel brings it in.
    width, height = (int(v) for v in subprocess.run(
        ["xdotool", "getdisplaygeometry"], capture_output=True, text=True, check=True).stdout.split())
    for _ in range(30):
        _, e = found
        if e.y >= 0 and e.y + e.height <= height:
            break
        subprocess.run(["xdotool", "mousemove", "--sync", str(width // 2), str(height // 2),
                        "click", "5" if e.y + e.height > height else "4"], check=True)
        time.sleep(0.3)
        found = wait_for(name, contains=contains, timeout=2, last=last, roles=roles) or found
    # Where it settles: a dialog that just opened is laid out again in its next frames.
    _, e = found
    for _ in range(10):
        time.sleep(0.3)
        again = wait_for(name, contains=contains, timeout=2, last=last, roles=roles)
        if again is None:
            break
        if (again[1].x, again[1].y) == (e.x, e.y):
            break
        e = again[1]
    x, y = e.x + e.width // 2, e.y + e.height // 2
    subprocess.run(["xdotool", "mousemove", "--sync", str(x), str(y), "click", "1"], check=True)
    time.sleep(0.4)
    return True


def keys(*names):
    for key in names:
        subprocess.run(["xdotool", "key", "--clearmodifiers", key], check=True)
        time.sleep(0.25)


def type_text(text):
    subprocess.run(["xdotool", "type", "--delay", "15", "--", text], check=True)
    time.sleep(0.25)


def type_into(field, text, last=False):
    if click(field, last=last, roles=FIELDS):
        type_text(text)


def unlocked(timeout=60):
    return wait_for("Create Environment Secret", timeout=timeout) is not None


def unlock(passphrase):
    # The lock screen's passphrase field has the keyboard.
    if wait_for("Unlock", timeout=30) is None:
        fail("no lock screen")
    type_text(passphrase)
    keys("Return")
    if not unlocked():
        fail("the unlock did not open the vault")


def step(name):
    say("STEP", name)
