"""Walks through the demo page in headless Chromium: run the bundled example,
values with the pager, statistics, the model form, status, a failed run's
traceback, the session list with delete, and a dropped connection with event
replay.

Usage: demo_page_check.py SERVER_PORT [SCREENSHOT_FOLDER]
The page is loaded through a TCP forwarder (DropProxy) in front of the real
server on 127.0.0.1:SERVER_PORT, which can cut the page's connection.
Prints a JSON summary; exits non-zero on any failure.
"""
import sys

from demo_page_support import By, Check, DropProxy, Select

proxy = DropProxy(int(sys.argv[1]))
check = Check(sys.argv[2] if len(sys.argv) > 2 else None)
s = check.summary
try:
    check.driver.get("http://127.0.0.1:%d/" % proxy.port)
    check.text_in("connection", "connected")
    # The server's greeting ([users]:INFO) names how many clients are connected.
    check.text_in("connection", "(1 client)")
    s["connection"] = check.text("connection")
    s["files"] = [e.get_attribute("value") for e in check.find_all("#files .fname")]
    s["stopDisabledBeforeRun"] = not check.find("#stop").is_enabled()

    check.click("#run")
    check.text_in("events", "finished in")
    s["events"] = check.text("events")

    check.click('#placeholders button[data-name="greeting"]')
    check.text_in("value", "Hello, world!")
    s["greeting"] = check.text("value-content")

    # A DataFrame: shape header, rounded numbers with the full value on hover, a pager.
    check.click('#placeholders button[data-name="measurements"]')
    check.text_in("value-shape", "measurements")
    check.text_in("pager-info", "rows 0–49 of 240")
    s["shape"] = check.text("value-shape")
    s["tableHeader"] = [th.text for th in check.find_all("#value-content thead tr:first-child th")]
    s["tableRows"] = len(check.find_all("#value-content tbody tr"))
    cell = check.find("#value-content tbody tr:first-child td:nth-child(2)")
    s["roundedCell"] = {"text": cell.text, "title": cell.get_attribute("title"), "class": cell.get_attribute("class")}
    s["pagerInfo"] = check.text("pager-info")
    s["previousDisabled"] = not check.find("#pager-prev").is_enabled()
    check.shot("table.png")
    pages = []
    for expected in ("rows 50–99 of 240", "rows 100–149 of 240", "rows 150–199 of 240", "rows 200–239 of 240"):
        check.click("#pager-next")
        check.text_in("pager-info", expected)
        pages.append([check.text("pager-info"), check.find("#value-content tbody tr:first-child td").text])
    s["pages"] = pages
    s["nextDisabledOnLastPage"] = not check.find("#pager-next").is_enabled()
    s["lastPageRows"] = len(check.find_all("#value-content tbody tr"))

    # Statistics of the selected DataFrame.
    check.click("#stats-button")
    check.text_in("stats-title", "measurements")
    s["statsTitle"] = check.text("stats-title")
    speed = check.find('.stats-column[data-column="speed"]')
    s["quartileHeader"] = [th.text for th in speed.find_elements(By.CSS_SELECTOR, "table.quartiles th")]
    s["axisLabels"] = [t.text for t in speed.find_elements(By.CSS_SELECTOR, "svg text.axis-label")]
    s["histogramBars"] = len(speed.find_elements(By.CSS_SELECTOR, "svg rect.bar"))
    road = check.find('.stats-column[data-column="road"]')
    s["topValues"] = [[td.text for td in tr.find_elements(By.CSS_SELECTOR, "td")]
                      for tr in road.find_elements(By.CSS_SELECTOR, "table.top-values tbody tr")]
    check.shot("statistics.png")

    # The model: an empty instance makes the server name the features; the page builds a form of them.
    check.click('#placeholders button[data-name="model"]')
    check.find("#model-data").clear()
    check.find("#model-data").send_keys("{}")
    check.click("#model-button")
    check.until("the feature fields", lambda d: len(check.find_all("#model-fields .feature-input")) == 2)
    s["modelFields"] = [e.get_attribute("data-feature") for e in check.find_all("#model-fields .feature-input")]
    check.find('#model-fields [data-feature="speed"]').send_keys("90")
    check.find('#model-fields [data-feature="slope"]').send_keys("1.5")
    check.click("#model-button")
    check.until("the model's result table", lambda d: len(check.find_all("#model-table tbody tr")) == 1)
    s["modelHeader"] = [th.text for th in check.find_all("#model-table th")]
    s["modelRow"] = [td.text for td in check.find_all("#model-table tbody td")]
    check.shot("model.png")

    check.click("#status-button")
    check.until("the status pane", lambda d: check.find_all('#status dd[data-key="status"]'))
    s["status"] = check.find('#status dd[data-key="status"]').text
    s["statusPlaceholders"] = check.find('#status dd[data-key="placeholders"]').text
    first_session = check.text("session")

    # A failing program: a formatted traceback, and nothing left of the previous session.
    check.click("#add-file")
    check.set_file(2, "import runtimeBridge\nruntimeBridge.save_placeholder('partial', 1)\n\n\ndef main():\n"
                      "    raise ValueError('boom')\n\n\nmain()\n")
    Select(check.find("#mainfile")).select_by_value("file3.py")
    check.click("#run")
    check.until("the traceback view", lambda d: check.find_all("#failure .traceback .frames li"))
    s["failureException"] = check.find("#failure .exception").text
    s["failureFrames"] = [li.text for li in check.find_all("#failure .frames li")]
    s["placeholdersAfterFailure"] = [b.get_attribute("data-name") for b in check.find_all("#placeholders button")]
    s["valueAfterFailure"] = check.text("value")
    s["modelResultAfterFailure"] = check.text("model-result")
    s["modelFieldsAfterFailure"] = len(check.find_all("#model-fields .feature-input"))
    s["statsDisabledAfterFailure"] = not check.find("#stats-button").is_enabled()
    s["modelDisabledAfterFailure"] = not check.find("#model-button").is_enabled()
    s["stopDisabledAfterFailure"] = not check.find("#stop").is_enabled()
    s["newSession"] = check.text("session") != first_session
    check.find("#failure details summary").click()
    check.until("the full traceback", lambda d: "Traceback (most recent call last)" in check.text("failure"))
    s["fullTraceback"] = check.find("#failure details pre").text.splitlines()[-1]
    check.shot("traceback.png", show="#failure")

    # The session list: both sessions with status, duration and placeholder count; delete one.
    failed_session = check.text("session")
    check.until("two sessions listed", lambda d: len(check.find_all("#sessions tbody tr[data-session]")) == 2
                and "failed" in check.text("sessions"))
    s["sessions"] = sorted([[tr.find_element(By.CSS_SELECTOR, ".session-status").text,
                             tr.find_element(By.CSS_SELECTOR, ".session-placeholders").text,
                             tr.find_element(By.CSS_SELECTOR, ".session-duration").text != "–"]
                            for tr in check.find_all("#sessions tbody tr[data-session]")])
    check.shot("sessions.png", show="#sessions")
    check.click('#sessions tr[data-session="%s"] button.delete' % failed_session)
    check.until("the deleted session gone", lambda d: len(check.find_all("#sessions tbody tr[data-session]")) == 1)
    check.text_in("events", "was deleted")
    s["sessionAfterDelete"] = check.text("session")
    s["placeholdersAfterDelete"] = len(check.find_all("#placeholders button"))

    # Open replays a listed session from its first event.
    check.click("#sessions tbody tr[data-session] button.open")
    check.text_in("events", "finished in")
    s["openedPlaceholders"] = [b.get_attribute("data-name") for b in check.find_all("#placeholders button")]

    # The connection drops mid-run (the network between page and server fails for a while);
    # the page says so, reconnects, and replays what it missed with subscribe since the last seq.
    check.set_file(2, "import time\nfor i in range(25):\n    print('tick', i, flush=True)\n    time.sleep(0.2)\n")
    check.click("#run")
    check.text_in("events", "tick 2")
    proxy.drop()
    check.until("the banner", lambda d: check.find("#banner").is_displayed())
    s["bannerText"] = check.text("banner")
    s["stopDisabledWhileDown"] = not check.find("#stop").is_enabled()
    seen_before = max(int(e.get_attribute("data-seq")) for e in check.find_all("#events [data-seq]"))
    # One reconnect refused (the page now waits 2 s): the run has gone on meanwhile, unseen.
    check.text_in("banner-text", "retrying in 2 s")
    proxy.restore()
    check.until("the banner to go", lambda d: not check.find("#banner").is_displayed(), 30)
    check.text_in("events", "finished in")
    s["missedWhileDown"] = max(int(e.get_attribute("data-seq")) for e in check.find_all("#events [data-seq]")) > seen_before
    s["replayNote"] = "reconnected: replaying events after #" in check.text("events")
    s["replaySeqs"] = [int(e.get_attribute("data-seq")) for e in check.find_all("#events [data-seq]")]
    s["ticks"] = sum(1 for line in check.text("events").split("\n") if line.startswith("tick "))
except Exception as error:
    check.finish(error, proxy.close)
check.finish(cleanup=proxy.close)
