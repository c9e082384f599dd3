#!/usr/bin/python3
"""The operator web page in headless Chromium (driven by tests/integration/web_page_test.cc).

Usage: page_test.py BASE_URL APPROVER_TOKEN SCREENSHOT_DIR

Given a running `pinwatch run` whose one pending proposal needs one approval, it checks the
page's security headers, signs in on a phone-sized window, waits for the proposal and its
safety checks, shows the API's error for an approval without a reason, approves it with a
reason, sees the pin-set's new version in the history, downloads an export through the
token-carrying fetch, checks the token is only in sessionStorage, repeats the view at a
desktop size, signs out, and fails on any SEVERE browser console entry. Screenshots go to
SCREENSHOT_DIR. Exit 0 when every check passed.
"""
import base64
import json
import os
import sys
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT_S = 30  # a bound for a broken page, not a pause: every wait ends as soon as it holds
PHONE = (390, 844)
DESKTOP = (1366, 900)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'")


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


def check_headers(base_url):
    with urllib.request.urlopen(base_url) as res:
        headers = res.headers
        body = res.read().decode()
    check(headers.get("Content-Type", "").startswith("text/html"), "/ is not HTML: %s" % headers.get("Content-Type"))
    check(headers.get("Content-Security-Policy") == CSP, "/ CSP is %r" % headers.get("Content-Security-Policy"))
    check(headers.get("X-Content-Type-Options") == "nosniff", "/ lacks X-Content-Type-Options: nosniff")
    check(headers.get("Referrer-Policy") == "no-referrer", "/ lacks Referrer-Policy: no-referrer")
    check(headers.get("Cache-Control") == "no-cache", "/ Cache-Control is %r" % headers.get("Cache-Control"))
    check("<script>" not in body and "style=" not in body, "/ has inline script or style")
    for path, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
        with urllib.request.urlopen(base_url + path) as res:
            check(res.headers.get("Content-Type", "").startswith(kind), "/%s is %s" % (path, res.headers.get("Content-Type")))
            check(res.headers.get("X-Content-Type-Options") == "nosniff", "/%s lacks nosniff" % path)
    with urllib.request.urlopen(base_url + "endpoints") as res:
        check("/metrics" in res.read().decode(), "/endpoints does not list /metrics")
    try:
        urllib.request.urlopen(urllib.request.Request(base_url + "app.js", data=b"x", method="POST"))
        check(False, "POST /app.js was accepted")
    except urllib.error.HTTPError as e:
        check(e.code == 405, "POST /app.js answered %d, not 405" % e.code)


def start_browser(download_dir):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=%d,%d" % PHONE, "--lang=en-US"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {"download.default_directory": download_dir,
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir})
    return driver


def severe(entries):
    return [e for e in entries if e.get("level") == "SEVERE"]


def screenshot(driver, path):
    """A full-page PNG (Chrome's DevTools screenshot beyond the viewport), at the window's width."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    # Capturing beyond the viewport lays the page out without a scrollbar: the full width.
    width = max(size["width"], driver.execute_script("return window.innerWidth"))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1}})
    with open(path, "wb") as out:
        out.write(base64.b64decode(shot["data"]))
    print("page_test: screenshot", path)


def wait(driver, condition, what):
    try:
        return WebDriverWait(driver, WAIT_S).until(condition)
    except TimeoutException:
        raise Failure("timed out waiting for " + what)


def check_fits(driver, what):
    """The page is as wide as the window: nothing pushes it sideways (tables scroll in their own box)."""
    wide = driver.execute_script("""
        const limit = document.documentElement.clientWidth;
        const out = [];
        for (const e of document.querySelectorAll('body *')) {
          const r = e.getBoundingClientRect();
          if (r.width && r.right > limit + 1 && !e.closest('.table-wrap')) {
            out.push(e.tagName.toLowerCase() + '.' + e.className + ' right=' + Math.round(r.right));
          }
        }
        return out.slice(0, 8);""")
    check(not wide, "%s: wider than the window (%d px): %s"
          % (what, driver.execute_script("return document.documentElement.clientWidth"), wide))


def version_row(pinset, version):
    return (By.CSS_SELECTOR, '.pinset[data-pinset="%s"] .version[data-version="%d"]' % (pinset, version))


def run(base_url, token, out_dir):
    if not base_url.endswith("/"):
        base_url += "/"
    os.makedirs(out_dir, exist_ok=True)
    download_dir = os.path.join(out_dir, "downloads")
    os.makedirs(download_dir, exist_ok=True)
    for name in os.listdir(download_dir):
        os.remove(os.path.join(download_dir, name))
    check_headers(base_url)

    driver = start_browser(download_dir)
    try:
        driver.set_window_size(*PHONE)
        driver.get(base_url)
        token_input = wait(driver, EC.visibility_of_element_located((By.ID, "token")), "the token field")
        check(driver.execute_script("return window.innerWidth") <= PHONE[0], "the phone window is wider than a phone")
        token_input.send_keys(token)
        driver.find_element(By.ID, "sign-in-button").click()

        # The pending proposal with its safety checks, all ok, and its lead time.
        proposal = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, ".proposal[data-pinset=\"api\"]")),
                        "the pending proposal")
        wait(driver, lambda d: proposal.find_elements(By.CSS_SELECTOR, ".checks li"), "its safety checks")
        checks = proposal.find_elements(By.CSS_SELECTOR, ".checks li")
        check(len(checks) >= 5, "%d safety checks shown" % len(checks))
        check(all(c.get_attribute("data-ok") == "true" for c in checks), "a safety check is not ok")
        check("before the first certificate" in proposal.text, "no lead time shown:\n" + proposal.text)
        check("precert" in proposal.text, "the evidence's precertificate entry is not shown")
        check("0 of 1" in proposal.text, "approvals are not 0 of 1:\n" + proposal.text)
        wait(driver, EC.visibility_of_element_located(version_row("api", 1)), "version 1 of pin-set api")
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#logs-list .log")), "the logs' status")
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#findings-list .finding")), "the open findings")
        severities = [f.get_attribute("class") for f in driver.find_elements(By.CSS_SELECTOR, "#findings-list .finding")]
        check(severities, "no finding shown")

        # The token is in this tab's sessionStorage, and nowhere that outlives it.
        check(driver.execute_script("return sessionStorage.getItem('pinwatch.token')") == token,
              "the token is not in sessionStorage")
        local = driver.execute_script("return JSON.stringify(Object.assign({}, localStorage))")
        check(token not in local and driver.execute_script("return localStorage.length") == 0,
              "localStorage holds something: " + local)
        check(token not in driver.execute_script("return document.cookie"), "the token is in a cookie")
        check(not driver.get_cookies(), "the page set cookies: %s" % driver.get_cookies())
        found = severe(driver.get_log("browser"))
        check(not found, "SEVERE console entries: %s" % found)
        check_fits(driver, "the phone page")
        screenshot(driver, os.path.join(out_dir, "phone-pending.png"))

        # Approving without a reason: the API's 422 message is shown on the proposal. The
        # browser logs that failed request as SEVERE; that one entry is expected.
        proposal.find_element(By.CSS_SELECTOR, "button.approve").click()
        error = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, ".proposal .decide-error")),
                     "the API's error for an approval without a reason")
        check("required" in error.text, "the error shown is %r" % error.text)
        unexpected = [e for e in severe(driver.get_log("browser")) if "status of 422" not in e.get("message", "")]
        check(not unexpected, "SEVERE console entries: %s" % unexpected)

        # Approve with a reason: one approval is enough, version 2 appears in the history.
        reason = proposal.find_element(By.CSS_SELECTOR, "textarea.reason-input")
        reason.send_keys("renewal key checked with the web team")
        proposal.find_element(By.CSS_SELECTOR, "button.approve").click()
        wait(driver, EC.visibility_of_element_located(version_row("api", 2)), "version 2 of pin-set api")
        wait(driver, EC.text_to_be_present_in_element((By.ID, "proposals-list"), "No pending proposals."),
             "the pending list to empty")
        check("approved" in driver.find_element(By.ID, "notice").text, "no approval notice")
        current = driver.find_element(*version_row("api", 2))
        check("current" in current.get_attribute("class"), "version 2 is not marked current")
        check_fits(driver, "the phone page after approval")
        screenshot(driver, os.path.join(out_dir, "phone-approved.png"))

        # Work a finding: acknowledge the first open one with a note; it leaves the open list.
        open_before = len(driver.find_elements(By.CSS_SELECTOR, "#findings-list .finding"))
        first = driver.find_element(By.CSS_SELECTOR, "#findings-list .finding")
        finding_id = first.get_attribute("data-finding-id")
        first.find_element(By.CSS_SELECTOR, "input.note-input").send_keys("seen on the page")
        first.find_element(By.CSS_SELECTOR, "button.ack").click()
        wait(driver, EC.text_to_be_present_in_element((By.ID, "notice"), "Finding #%s acknowledged" % finding_id),
             "the acknowledgement notice")
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#findings-list .finding")) == open_before - 1
             or (open_before == 1 and "No open findings" in d.find_element(By.ID, "findings-list").text),
             "finding #%s to leave the open list" % finding_id)
        print("acknowledged finding", finding_id)

        # An export, fetched with the token and saved through a Blob URL.
        driver.find_element(By.CSS_SELECTOR, '.pinset[data-pinset="api"] button[data-format="json"]').click()
        wanted = os.path.join(download_dir, "api-json.json")
        wait(driver, lambda d: os.path.exists(wanted) and os.path.getsize(wanted) > 0, "the downloaded export " + wanted)
        with open(wanted) as f:
            exported = json.load(f)
        check(exported.get("version") == 2 or "pins" in exported, "the export is %r" % exported)

        # The desktop layout of the same tab (the token survives a reload in this tab).
        driver.set_window_size(*DESKTOP)
        driver.refresh()
        wait(driver, EC.visibility_of_element_located(version_row("api", 2)), "version 2 after a reload")
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#logs-list .log")), "the logs after a reload")
        check_fits(driver, "the desktop page")
        screenshot(driver, os.path.join(out_dir, "desktop.png"))

        # Sign out forgets the token and empties the lists.
        driver.find_element(By.ID, "sign-out").click()
        wait(driver, EC.visibility_of_element_located((By.ID, "token")), "the sign-in form after sign-out")
        check(driver.execute_script("return sessionStorage.getItem('pinwatch.token')") is None,
              "the token outlived sign-out")
        check(not driver.find_elements(By.CSS_SELECTOR, ".proposal, .pinset, .finding"), "lists remain after sign-out")

        found = severe(driver.get_log("browser"))
        check(not found, "SEVERE console entries: %s" % found)
    except Exception:
        try:
            screenshot(driver, os.path.join(out_dir, "failure.png"))
        except Exception as e:  # the browser may be what failed
            print("page_test: no failure screenshot: %s" % e, file=sys.stderr)
        raise
    finally:
        driver.quit()


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        run(sys.argv[1], sys.argv[2], sys.argv[3])
    except Failure as e:
        print("page_test: FAILED: %s" % e, file=sys.stderr)
        return 1
    print("page_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
