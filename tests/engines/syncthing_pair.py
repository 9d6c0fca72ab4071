#!/usr/bin/env python3
"""Two real Syncthing instances on 127.0.0.1 that keep two folders in step, for tests/cli_sync.rs.

    syncthing_pair.py WORKDIR FOLDER_A FOLDER_B

Each instance gets a home of its own under WORKDIR, listens on a free loopback port, knows only
the other (no discovery, relays, NAT, upgrades or usage reporting: nothing leaves the machine),
and shares one folder with it (watched, rescanned every 2 s). Prints READY once the two are
connected, then runs until its standard input closes, and stops both.
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
        "rescanIntervalS": "2", "fsWatcherEnabled": "true", "fsWatcherDelayS": "1",
    })
    set_text(folder_node, "filesystemType", "basic")
    ET.SubElement(folder_node, "device", {"id": me})
    ET.SubElement(folder_node, "device", {"id": peer})
    set_text(folder_node, "markerName", ".stfolder")
    tree.write(path)
    os.makedirs(os.path.join(folder, ".stfolder"), exist_ok=True)
    return apikey


def connected(gui, apikey, peer):
    request = urllib.request.Request(f"http://127.0.0.1:{gui}/rest/system/connections", headers={"X-API-Key": apikey})
    try:
        with urllib.request.urlopen(request, timeout=2) as answer:
            return json.load(answer)["connections"].get(peer, {}).get("connected", False)
    except OSError:
        return False


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
        sys.stdin.read()
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
