"""Shared by the demo page's browser checks: a headless Chromium, waits, screenshots."""
import json
import os
import socket
import sys
import threading

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

__all__ = ["By", "EC", "Select", "browser", "Check", "DropProxy"]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Check:
    """One browser session: explicit waits that say what was awaited, and a summary printed as JSON."""

    def __init__(self, screenshots=None, timeout=60):
        self.driver = browser()
        self.wait_ = WebDriverWait(self.driver, timeout)
        self.screenshots = screenshots
        self.summary = {}

    def until(self, what, condition, timeout=None, poll=0.1):
        waiter = WebDriverWait(self.driver, timeout or self.wait_._timeout, poll_frequency=poll)
        try:
            return waiter.until(condition)
        except Exception as error:
            raise AssertionError("timed out waiting for " + what + "; events: " + self.text("events")) from error

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, element_id):
        try:
            return self.driver.find_element(By.ID, element_id).text
        except Exception:
            return ""

    def text_in(self, element_id, text, timeout=None):
        self.until("%r in #%s" % (text, element_id), EC.text_to_be_present_in_element((By.ID, element_id), text), timeout)

    def click(self, css):
        self.until("a clickable " + css, EC.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    def shot(self, name, show=None):
        """A screenshot of the window, scrolled so that the element `show` (CSS) is in view."""
        if show:
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", self.find(show))
        if self.screenshots:
            self.driver.save_screenshot(os.path.join(self.screenshots, name))

    def set_file(self, index, content):
        area = self.find_all("#files .fcontent")[index]
        self.driver.execute_script("arguments[0].value = arguments[1];", area, content)

    def console_errors(self):
        return [e["message"] for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def finish(self, error=None, cleanup=None):
        try:
            if error is None:
                self.summary["consoleErrors"] = self.console_errors()
        finally:
            self.driver.quit()
            if cleanup is not None:
                cleanup()
        if error is not None:
            print(json.dumps(self.summary))
            print("FAILED: %s" % error, file=sys.stderr)
            sys.exit(1)
        print(json.dumps(self.summary))


class DropProxy:
    """A TCP forwarder between the browser and a real server, to drop the
    browser's connections as a network would: `drop()` cuts every open
    connection and refuses new ones until `restore()`. The server and its
    sessions go on; only the connections end."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.open = []
        self.refusing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                refusing = self.refusing
            if refusing:
                client.close()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop(self):
        with self.lock:
            self.refusing = True
            cut, self.open = self.open, []
        for end in cut:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def restore(self):
        with self.lock:
            self.refusing = False

    def close(self):
        self.drop()
        self.listener.close()
