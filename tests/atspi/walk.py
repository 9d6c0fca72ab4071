"""Reads the Tresor app through the accessibility bus, as Orca does (tests/atspi.rs runs it).

Waits for the app, listens for announcements, presses Ctrl+F, Tab x3, Ctrl+C with xdotool (the
copy toast must be announced), then prints the tree: one line per node, "depth|role|name|
description", and one "ANNOUNCE|text" line per announcement heard.
"""
import subprocess
import sys
import time

import pyatspi
from gi.repository import GLib

deadline = time.time() + 30
app = None
while time.time() < deadline and app is None:
    for candidate in pyatspi.Registry.getDesktop(0):
        if candidate is not None and (candidate.name or "").lower().startswith("tresor") and candidate.childCount > 0:
            app = candidate
    if app is None:
        time.sleep(0.5)
if app is None:
    print("NO-APP")
    sys.exit(0)

heard = []


def on_announcement(event):
    heard.append(str(event.any_data))


def press_keys():
    for key in ["ctrl+f", "Tab", "Tab", "Tab", "ctrl+c"]:
        subprocess.run(["xdotool", "key", "--clearmodifiers", key], check=True)
        time.sleep(0.4)
    return False


pyatspi.Registry.registerEventListener(on_announcement, "object:announcement")
GLib.timeout_add(500, press_keys)
GLib.timeout_add(5000, lambda: pyatspi.Registry.stop() or False)
pyatspi.Registry.start()


def walk(node, depth=0):
    if depth > 40:
        return
    try:
        print(f"{depth}|{node.getRoleName()}|{node.name}|{node.description}")
    except Exception:
        return
    for i in range(node.childCount):
        try:
            walk(node.getChildAtIndex(i), depth + 1)
        except Exception:
            pass


walk(app)
for text in heard:
    print(f"ANNOUNCE|{text}")
