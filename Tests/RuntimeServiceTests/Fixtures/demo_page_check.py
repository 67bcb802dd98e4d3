"""Loads the demo page in headless Chromium, clicks Run on the bundled example,
and checks that the finished event and a placeholder value appear.

Usage: demo_page_check.py http://127.0.0.1:PORT/
Prints a JSON summary; exits non-zero on any failure.
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
summary = {}
try:
    driver.get(sys.argv[1])
    wait = WebDriverWait(driver, 60)
    wait.until(EC.text_to_be_present_in_element((By.ID, "connection"), "connected"))
    # The server's greeting ([users]:INFO) names how many clients are connected.
    wait.until(EC.text_to_be_present_in_element((By.ID, "connection"), "(1 client)"))
    summary["connection"] = driver.find_element(By.ID, "connection").text
    summary["files"] = [e.get_attribute("value") for e in driver.find_elements(By.CSS_SELECTOR, "#files .fname")]
    driver.find_element(By.ID, "run").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "events"), "finished in"))
    summary["events"] = driver.find_element(By.ID, "events").text
    button = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, '#placeholders button[data-name="greeting"]')))
    button.click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "value"), "Hello, world!"))
    summary["greeting"] = driver.find_element(By.ID, "value-content").text
    table = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, '#placeholders button[data-name="table"]')))
    table.click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#value table")))
    summary["tableHeader"] = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#value table th")]
    summary["tableRows"] = len(driver.find_elements(By.CSS_SELECTOR, "#value table tbody tr"))
    driver.find_element(By.ID, "status-button").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "legacyStatus"))
    summary["status"] = json.loads(driver.find_element(By.ID, "status").text)["status"]
    summary["consoleErrors"] = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    if len(sys.argv) > 2:
        driver.set_window_size(1300, 900)
        driver.save_screenshot(sys.argv[2])
finally:
    driver.quit()
print(json.dumps(summary))
