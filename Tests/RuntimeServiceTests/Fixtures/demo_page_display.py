"""The demo page shows a value's display form: a matplotlib figure as an
image (display["image/png"]) and an object's _repr_html_ in a sandboxed
iframe (display["text/html"]).

Usage: demo_page_display.py http://127.0.0.1:PORT/ [SCREENSHOT_FOLDER]
Prints a JSON summary; exits non-zero on any failure.
"""
import sys

from demo_page_support import Check, Select

PROGRAM = """import matplotlib.pyplot as plt
import runtimeBridge


class Report:
    def _repr_html_(self):
        return "<p><b id='bold'>bold</b></p><script>parent.document.title = 'escaped'</script>"


fig, ax = plt.subplots()
ax.plot([1, 2, 3], [1, 4, 9])
runtimeBridge.save_placeholder("fig", fig)
runtimeBridge.save_placeholder("report", Report())
"""

check = Check(sys.argv[2] if len(sys.argv) > 2 else None)
s = check.summary
try:
    check.driver.get(sys.argv[1])
    check.text_in("connection", "(1 client)")
    check.set_file(0, PROGRAM)
    Select(check.find("#mainfile")).select_by_value("main.py")
    check.click("#run")
    check.text_in("events", "finished in")

    check.click('#placeholders button[data-name="fig"]')
    check.text_in("value-shape", "fig")
    check.until("an image from the reply's display[\"image/png\"] (the server sent no display for the figure?)",
                lambda d: check.find_all("#value-display img"), 15)
    image = check.find("#value-display img")
    check.until("the image to load", lambda d: d.execute_script("return arguments[0].naturalWidth", image) > 0, 15)
    s["imageSource"] = image.get_attribute("src")[:22]
    s["imageWidth"] = check.driver.execute_script("return arguments[0].naturalWidth", image)
    check.shot("figure.png")

    check.click('#placeholders button[data-name="report"]')
    check.until("an iframe from the reply's display[\"text/html\"]", lambda d: check.find_all("#value-display iframe"), 15)
    frame = check.find("#value-display iframe")
    s["sandbox"] = frame.get_attribute("sandbox")
    s["srcdoc"] = frame.get_attribute("srcdoc")
    s["title"] = check.driver.title
except Exception as error:
    check.finish(error)
check.finish()
