#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Clicks through the Cockpit page in headless Chromium (Debian's chromium
and chromedriver, python3-selenium): import a guest by path, read its
findings, fix one, realize it while the progress bar moves, cancel a second
realize. Started by tests/browser/test-browser.c, which serves the page and
checks the host afterwards. A screenshot of every step goes to --artifacts."""

import argparse
import base64
import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT = 120


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--import", dest="import_dir", required=True)
    parser.add_argument("--cancel-import", required=True)
    parser.add_argument("--pool-dir", required=True)
    return parser.parse_args()


def log(message):
    print("# " + message, flush=True)


def wait_for_cockpit(url):
    """cockpit-ws answers once it listens; the manifest list shows the page
    only when its condition (the installed bus policy) holds."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(url + "/cockpit/@localhost/manifests.json") as reply:
                manifests = json.load(reply)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert "virt-realize" in manifests, "the page's package is not served: %s" % list(manifests)
    menu = manifests["virt-realize"]["menu"]["index"]
    assert menu["label"] == "Planned systems", menu
    log("cockpit serves the package with its menu entry")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--window-size=1280,800"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Page:
    def __init__(self, driver, artifacts):
        self.driver = driver
        self.artifacts = artifacts
        self.shots = 0

    def wait(self, condition, timeout=TIMEOUT):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=[StaleElementReferenceException]).until(condition)

    def find(self, css):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def shot(self, name):
        self.shots += 1
        path = os.path.join(self.artifacts, "%02d-%s.png" % (self.shots, name))
        self.driver.save_screenshot(path)
        log("screenshot " + path)

    def full_shot(self, name):
        """The whole page, not only the window: for the README."""
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
        self.shots += 1
        path = os.path.join(self.artifacts, "%02d-%s.png" % (self.shots, name))
        with open(path, "wb") as out:
            out.write(base64.b64decode(shot["data"]))
        log("screenshot " + path)

    def status(self):
        status = self.driver.find_element(By.ID, "status")
        return status.text if status.is_displayed() else ""

    def no_error(self):
        status = self.driver.find_element(By.ID, "status")
        cls = status.get_attribute("class")
        assert not status.is_displayed() or "info" in cls, "the page shows an error: " + status.text

    def type_into(self, element_id, text):
        field = self.find("#" + element_id)
        field.clear()
        field.send_keys(text)

    def system_row(self, name):
        return self.find('#systems tr[data-name="%s"]' % name)

    def import_dir(self, path, name):
        self.type_into("import-path", path)
        # Keyboard: Enter submits the form.
        self.find("#import-path").send_keys("\n")
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '#systems tr[data-name="%s"]' % name)
                  or self.status().startswith(("InUse", "Invalid", "Access", "error")))
        self.no_error()
        log("imported " + name)

    def findings(self):
        return [r.get_attribute("data-id")
                for r in self.driver.find_elements(By.CSS_SELECTOR, "#findings tr.finding")]

    def validate(self, name):
        row = self.system_row(name)
        before = self.driver.find_element(By.ID, "findings-title").get_attribute("textContent")
        row.find_element(By.CSS_SELECTOR, "button.validate").click()
        self.wait(lambda d: "Findings for " + name in d.find_element(By.ID, "findings-title").text)
        self.no_error()
        return before

    def realize(self, name, pool_dir):
        self.system_row(name).find_element(By.CSS_SELECTOR, "button.realize").click()
        self.type_into("realize-pool-dir", pool_dir)
        self.find("#realize-button").click()
        job = self.wait(lambda d: self.job_of(name))
        self.no_error()
        return job["path"]

    # The page redraws a job on every change: read it in one script, never
    # through an element that the next redraw makes stale.
    def job_info(self, selector):
        return self.driver.execute_script("""
            const job = document.querySelector(arguments[0]);
            if (!job)
                return null;
            return { path: job.dataset.path, state: Number(job.dataset.state),
                     percent: Number(job.querySelector("progress").value),
                     text: job.textContent };
        """, selector)

    def job_of(self, name):
        for path in self.driver.execute_script(
                "return Array.from(document.querySelectorAll('#jobs .job'))"
                ".filter(j => j.querySelector('strong').textContent === arguments[0])"
                ".map(j => j.dataset.path)", "realize " + name):
            return self.job_info('#jobs .job[data-path="%s"]' % path)
        return None

    def job(self, path):
        return self.job_info('#jobs .job[data-path="%s"]' % path)

    def job_state(self, path):
        return self.job(path)["state"]

    def percent(self, path):
        return self.job(path)["percent"]

    def click(self, selector):
        """Keyboard: focus the button and press Enter."""
        self.wait(lambda d: d.execute_script(
            "const b = document.querySelector(arguments[0]);"
            "if (!b || b.disabled) return false; b.focus(); return true;", selector))
        ActionChains(self.driver).send_keys(Keys.ENTER).perform()


def import_and_fix(page, args):
    page.import_dir(args.import_dir, "vr-guest")
    page.shot("imported")
    page.validate("vr-guest")
    found = page.findings()
    log("findings: %s" % found)
    # The embedded driver has no networks to look the source up in
    # (VR1506, a warning); the saved state has no such device (VR1707).
    assert "VR1707" in found, "the extra device is not reported: %s" % found
    assert "no:" in page.system_row("vr-guest").text
    page.shot("findings")
    row = page.find('#findings tr[data-id="VR1707"]')
    assert "/domain/devices/interface" in row.text, row.text
    row.find_element(By.CSS_SELECTOR, "button.remove-device").click()
    page.wait(lambda d: "VR1707" not in page.findings() and "fits this host" in
              d.find_element(By.ID, "findings-title").text)
    page.no_error()
    assert "yes" in page.system_row("vr-guest").text
    log("after the fix: %s" % page.findings())
    page.shot("fixed")


def realize_with_progress(page, args):
    job = page.realize("vr-guest", args.pool_dir)
    seen = set()
    shot = False
    deadline = time.monotonic() + TIMEOUT
    while page.job_state(job) < 7:
        percent = page.percent(job)
        if 0 < percent < 100:
            seen.add(percent)
            if not shot and len(seen) >= 2:
                page.shot("progress")
                page.full_shot("progress-full")
                shot = True
        assert time.monotonic() < deadline, "the realize did not end"
        time.sleep(0.1)
    log("progress values seen: %s" % sorted(seen))
    assert page.job_state(job) == 7, page.job(job)["text"]
    assert len(seen) >= 2, "the progress bar did not move: %s" % sorted(seen)
    page.wait(lambda d: "realized" in page.system_row("vr-guest").text)
    assert "Done: domain vr-guest" in page.job(job)["text"], page.job(job)["text"]
    page.shot("realized")


def cancel_realize(page, args):
    page.import_dir(args.cancel_import, "vr-guest-2")
    job = page.realize("vr-guest-2", args.pool_dir)
    page.wait(lambda d: page.percent(job) > 0 and page.job_state(job) == 4)
    page.shot("copying")
    page.click('#jobs .job[data-path="%s"] button.cancel' % job)
    page.wait(lambda d: page.job_state(job) == 8)
    page.wait(lambda d: page.system_row("vr-guest-2").find_element(
        By.CSS_SELECTOR, "td.state").text.startswith("planned"))
    assert "Cancelled" in page.job(job)["text"]
    page.no_error()
    page.shot("cancelled")
    page.full_shot("cancelled-full")


def other_views(page):
    """The same page at a phone's width, and dark."""
    page.driver.set_window_size(390, 844)
    page.driver.execute_script("window.scrollTo(0, 0)")
    page.shot("phone")
    page.driver.set_window_size(1280, 800)
    page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    page.driver.execute_script("window.scrollTo(0, 0)")
    page.shot("dark")
    page.full_shot("dark-full")


def main():
    args = parse_args()
    wait_for_cockpit(args.url)
    driver = browser()
    page = Page(driver, args.artifacts)
    try:
        driver.get(args.url + "/cockpit/@localhost/virt-realize/index.html")
        page.wait(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
        page.wait(lambda d: d.find_element(By.ID, "agent-version").text.startswith("agent "))
        import_and_fix(page, args)
        realize_with_progress(page, args)
        cancel_realize(page, args)
        other_views(page)
    except BaseException:
        page.shot("failure")
        for entry in driver.get_log("browser"):
            log("console: %s" % entry)
        raise
    finally:
        driver.quit()
    log("the page did every step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
