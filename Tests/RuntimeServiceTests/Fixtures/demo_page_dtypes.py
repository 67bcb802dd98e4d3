"""The demo page shows a table's dtypes (the reply's `dtypes`) under its column names.

Usage: demo_page_dtypes.py http://127.0.0.1:PORT/
Prints a JSON summary; exits non-zero on any failure.
"""
import sys

from demo_page_support import Check

PROGRAM = """import pandas as pd
import runtimeBridge

runtimeBridge.save_placeholder("df", pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": [1.5, 2.5]}))
"""

check = Check()
s = check.summary
try:
    check.driver.get(sys.argv[1])
    check.text_in("connection", "(1 client)")
    check.set_file(0, PROGRAM)
    check.click("#run")
    check.text_in("events", "finished in")
    check.click('#placeholders button[data-name="df"]')
    check.text_in("value-shape", "2 rows × 2 columns")
    check.until("a dtype row from the reply's dtypes (the server sent no dtypes for the DataFrame?)",
                lambda d: check.find_all("#value-content th.dtype"), 15)
    s["dtypes"] = [th.text for th in check.find_all("#value-content th.dtype")]
    s["firstRow"] = [td.text for td in check.find_all("#value-content tbody tr:first-child td")]
except Exception as error:
    check.finish(error)
check.finish()
