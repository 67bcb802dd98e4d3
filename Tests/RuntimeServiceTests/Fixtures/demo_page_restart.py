"""The demo page across a server restart: the built RuntimeServer is started on
a free port, the page runs the bundled example, the server is killed (the
page shows its banner and retries), a new server is started on the same port,
and the page reconnects, says the session is gone, clears it, and runs again.

Usage: demo_page_restart.py RUNTIME_SERVER_BINARY PYTHON [SCREENSHOT_FOLDER]
Prints a JSON summary; exits non-zero on any failure.
"""
import re
import subprocess
import sys
import threading

from demo_page_support import Check


def start_server(port):
    process = subprocess.Popen([sys.argv[1], "--port", str(port), "--warm-workers", "0", "--preload", "",
                                "--python", sys.argv[2]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        found = re.search(r"ws://127\.0\.0\.1:([0-9]+)/", line)
        if found:
            # Keep reading, so the server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
            return process, int(found.group(1))
    raise AssertionError("the server did not start (exit %s)" % process.wait())


def kill_server(process):
    process.kill()
    process.wait(timeout=60)


def stop_server(process):
    # Graceful; the browser has gone by then (a server waits for its open HTTP connections).
    process.terminate()
    process.wait(timeout=60)


server, port = start_server(0)
check = Check(sys.argv[3] if len(sys.argv) > 3 else None)
s = check.summary
try:
    check.driver.get("http://127.0.0.1:%d/" % port)
    check.text_in("connection", "(1 client)")
    check.click("#run")
    check.text_in("events", "finished in")
    check.click('#placeholders button[data-name="greeting"]')
    check.text_in("value", "Hello, world!")
    old_session = check.text("session")

    kill_server(server)
    check.until("the banner", lambda d: check.find("#banner").is_displayed())
    check.text_in("banner", "cannot be reached")
    s["bannerText"] = check.text("banner")
    s["connectionWhileDown"] = check.text("connection")
    s["buttonsDisabledWhileDown"] = [not check.find(css).is_enabled() for css in ("#run", "#stats-button", "#status-button")]
    check.shot("connection-lost.png")

    server, same_port = start_server(port)
    s["samePort"] = same_port == port
    check.until("the banner to go", lambda d: not check.find("#banner").is_displayed())
    check.text_in("events", "no longer exists")
    s["notice"] = check.text("events")
    s["sessionAfterRestart"] = check.text("session")
    s["placeholdersAfterRestart"] = len(check.find_all("#placeholders button"))
    s["stopDisabled"] = not check.find("#stop").is_enabled()
    s["statsDisabled"] = not check.find("#stats-button").is_enabled()
    s["oldSessionListed"] = old_session in [tr.get_attribute("data-session") for tr in check.find_all("#sessions tbody tr")]

    check.click("#run")
    check.text_in("events", "finished in")
    s["runAfterRestart"] = check.text("session") not in ("", "–", old_session)
except Exception as error:
    check.finish(error, lambda: stop_server(server))
check.finish(cleanup=lambda: stop_server(server))
