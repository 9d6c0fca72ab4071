#!/usr/bin/env python3
"""Two real Syncthing instances on 127.0.0.1 that keep two folders in step, for tests/cli_sync.rs.

    syncthing_pair.py WORKDIR FOLDER_A FOLDER_B

Each instance gets a home of its own under WORKDIR, listens on a free loopback port, knows only
the other (no discovery, relays, NAT, upgrades or usage reporting: nothing leaves the machine),
and shares one folder with it (watched). Prints READY once the two are connected, then takes
commands on its standard input, one per line, and answers each with one line:

    SYNC    both rescan their folder now, then wait until each has everything the other has
            -> SYNCED
    SCAN    both rescan their folder now (nothing else) -> SCANNED
    PAUSE   both stop talking to each other (Syncthing's own pause) -> PAUSED
    RESUME  both talk again, connected -> RESUMED

Waiting is done on Syncthing's REST API: its event stream (/rest/events, long-polled) wakes the
check of each folder's state and of each side's completion for the other, never a fixed sleep.
Stops both when its standard input closes. A command that does not finish within 90 s answers
FAILED with the reason.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(home):
    out = subprocess.run(
        ["syncthing", "generate", f"--home={home}", "--no-default-folder"],
        capture_output=True, text=True, check=True,
    )
    found = re.search(r"Device ID: (\S+)", out.stdout + out.stderr)
    return found.group(1)


def set_text(parent, tag, text):
    node = parent.find(tag)
    if node is None:
        node = ET.SubElement(parent, tag)
    node.text = text


def configure(home, me, peer, listen, peer_listen, gui, folder):
    path = os.path.join(home, "config.xml")
    tree = ET.parse(path)
    root = tree.getroot()
    options = root.find("options")
    set_text(options, "listenAddress", f"tcp://127.0.0.1:{listen}")
    for tag, value in [
        ("globalAnnounceEnabled", "false"), ("localAnnounceEnabled", "false"), ("relaysEnabled", "false"),
        ("natEnabled", "false"), ("startBrowser", "false"), ("urAccepted", "-1"),
        ("crashReportingEnabled", "false"), ("autoUpgradeIntervalH", "0"),
    ]:
        set_text(options, tag, value)
    gui_node = root.find("gui")
    set_text(gui_node, "address", f"127.0.0.1:{gui}")
    apikey = gui_node.find("apikey").text
    device = ET.SubElement(root, "device", {"id": peer, "name": "peer", "compression": "metadata", "introducer": "false"})
    set_text(device, "address", f"tcp://127.0.0.1:{peer_listen}")
    folder_node = ET.SubElement(root, "folder", {
        "id": "tresor", "label": "tresor", "path": folder, "type": "sendreceive",
        "rescanIntervalS": "3600", "fsWatcherEnabled": "true", "fsWatcherDelayS": "1",
    })
    set_text(folder_node, "filesystemType", "basic")
    ET.SubElement(folder_node, "device", {"id": me})
    ET.SubElement(folder_node, "device", {"id": peer})
    set_text(folder_node, "markerName", ".stfolder")
    tree.write(path)
    os.makedirs(os.path.join(folder, ".stfolder"), exist_ok=True)
    return apikey


def rest(gui, apikey, path, method="GET", timeout=5):
    request = urllib.request.Request(
        f"http://127.0.0.1:{gui}{path}", headers={"X-API-Key": apikey}, method=method, data=b"" if method == "POST" else None
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        body = answer.read()
        return json.loads(body) if body.strip() else None


def connection(gui, apikey, peer):
    try:
        return rest(gui, apikey, "/rest/system/connections")["connections"].get(peer, {})
    except OSError:
        return {}


def connected(gui, apikey, peer):
    state = connection(gui, apikey, peer)
    return state.get("connected", False) and not state.get("paused", False)


class Events:
    """One instance's event stream: `wait` returns when any event arrives (or after `timeout`
    seconds of none), so that a check runs again exactly when something happened."""

    def __init__(self, gui, apikey):
        self.gui, self.apikey, self.since = gui, apikey, 0
        # Start from now: the events before do not matter.
        latest = rest(gui, apikey, "/rest/events?limit=1&timeout=0") or []
        self.since = max([e["id"] for e in latest], default=0)

    def wait(self, timeout=5):
        try:
            found = rest(self.gui, self.apikey, f"/rest/events?since={self.since}&timeout={timeout}", timeout=timeout + 5)
        except OSError:
            return
        if found:
            self.since = max(e["id"] for e in found)


def in_step(gui, keys, ids):
    """Whether each side is idle, needs nothing, and has everything the other has."""
    for i in range(2):
        status = rest(gui[i], keys[i], "/rest/db/status?folder=tresor")
        if status["state"] != "idle" or status["needTotalItems"] != 0:
            return False
        if status["globalFiles"] != status["localFiles"]:
            return False
        completion = rest(gui[i], keys[i], f"/rest/db/completion?folder=tresor&device={ids[1 - i]}")
        if completion["completion"] < 100 or completion.get("needItems", 0) != 0:
            return False
    return True


def until(what, done, events, deadline_s=90):
    deadline = time.time() + deadline_s
    while not done():
        if time.time() > deadline:
            raise TimeoutError(what)
        for stream in events:
            stream.wait(timeout=1)


def main():
    work, folder_a, folder_b = sys.argv[1:4]
    homes = [os.path.join(work, "st-a"), os.path.join(work, "st-b")]
    ids = [generate(h) for h in homes]
    listen = [free_port(), free_port()]
    gui = [free_port(), free_port()]
    folders = [folder_a, folder_b]
    keys = [configure(homes[i], ids[i], ids[1 - i], listen[i], listen[1 - i], gui[i], folders[i]) for i in range(2)]
    env = dict(os.environ, STNOUPGRADE="1", STNODEFAULTFOLDER="1", STNORESTART="1")
    procs = []
    for i in range(2):
        log = open(os.path.join(work, f"syncthing-{i}.log"), "w")
        procs.append(subprocess.Popen(
            ["syncthing", "serve", f"--home={homes[i]}", "--no-browser", "--no-restart", "--logfile=-"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        ))
    try:
        deadline = time.time() + 90
        while not (connected(gui[0], keys[0], ids[1]) and connected(gui[1], keys[1], ids[0])):
            if time.time() > deadline or any(p.poll() is not None for p in procs):
                print("FAILED: the two Syncthing instances did not connect (see syncthing-*.log)", flush=True)
                return 1
            time.sleep(0.5)
        print("READY", flush=True)
        events = [Events(gui[i], keys[i]) for i in range(2)]
        for line in sys.stdin:
            command = line.strip()
            try:
                if command == "SYNC":
                    for i in range(2):
                        # Returns once the scan is done: what Tresor just wrote is in the index.
                        rest(gui[i], keys[i], "/rest/db/scan?folder=tresor", method="POST", timeout=60)
                    until("both sides in step", lambda: in_step(gui, keys, ids), events)
                    print("SYNCED", flush=True)
                elif command == "SCAN":
                    for i in range(2):
                        rest(gui[i], keys[i], "/rest/db/scan?folder=tresor", method="POST", timeout=60)
                    print("SCANNED", flush=True)
                elif command == "PAUSE":
                    for i in range(2):
                        rest(gui[i], keys[i], "/rest/system/pause", method="POST")
                    until("both paused", lambda: all(
                        connection(gui[i], keys[i], ids[1 - i]).get("paused", False) for i in range(2)), events)
                    print("PAUSED", flush=True)
                elif command == "RESUME":
                    for i in range(2):
                        rest(gui[i], keys[i], "/rest/system/resume", method="POST")
                    until("both connected again", lambda: all(
                        connected(gui[i], keys[i], ids[1 - i]) for i in range(2)), events)
                    print("RESUMED", flush=True)
                elif command:
                    print(f"FAILED: unknown command {command!r}", flush=True)
            except (OSError, TimeoutError, KeyError) as e:
                print(f"FAILED: {command}: {e!r} (see syncthing-*.log)", flush=True)
        return 0
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
