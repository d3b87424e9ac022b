"""The console in a real browser (Debian's headless Chromium driven by Selenium through the
system's chromedriver) against a real `kefu serve` started once for this module.

Without chromium and chromedriver the module is skipped, unless KEFU_REQUIRE_BROWSER=1 (set by
.ci/run, which installs them): then it fails. Every wait is for a condition on the page.
Screenshots of each page are saved under the test's temporary directory.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import kefu.console
from tests.e2e.test_serve import READ_WAIT_SECONDS, Server, start

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
TOKENS = {"admin": "browser-admin", "reporter": "browser-reporter", "auditor": "browser-auditor"}
WAIT_SECONDS = 30  # a bound for a loaded machine, not a timing assertion
AXE = Path(kefu.console.__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        reason = "chromium and chromium-driver (apt) are not installed; .ci/run installs them"
        if os.environ.get("KEFU_REQUIRE_BROWSER") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env["KEFU_READ_WAIT_SECONDS"] = str(READ_WAIT_SECONDS)
    env["KEFU_API_TOKENS"] = ",".join(f"{token}:{role}-1:{role}" for role, token in TOKENS.items())
    env["KEFU_TEST_TOKEN"] = TOKENS["admin"]
    running = start(tmp_path_factory.mktemp("console"), env)
    try:
        yield running
    finally:
        running.stop_with_ctrl_c()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--lang=en-US"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(WAIT_SECONDS)  # the checker on a loaded machine
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: WebDriver, condition: Any, message: str) -> Any:
    """Polls until the condition holds. A live view re-renders between finding an element and
    reading it (the wallboard on every pushed snapshot): a stale element is polled again."""
    stale = (StaleElementReferenceException,)
    return WebDriverWait(driver, WAIT_SECONDS, 0.1, ignored_exceptions=stale).until(
        condition, message
    )


def sign_in(driver: WebDriver, server: Server, role: str, view: str) -> None:
    driver.get(f"{server.base}/console/#{view}")
    driver.execute_script("sessionStorage.clear(); localStorage.setItem('kefu-language', 'en')")
    driver.refresh()
    field = wait(driver, lambda d: d.find_element(By.ID, "token"), "no sign-in form")
    field.send_keys(TOKENS[role])
    driver.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]").click()
    wait(driver, lambda d: d.find_element(By.ID, view).is_displayed(), f"{view} not shown")
    assert not driver.find_element(By.ID, "sign-in").is_displayed()
    assert TOKENS[role] not in driver.current_url


def accessibility_violations(driver: WebDriver) -> list[str]:
    """What axe-core (the npm registry's accessibility checker, a dev dependency of the console)
    finds against WCAG 2 A and AA on the page as it stands: labels, contrast, names, keyboard."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))  # by the driver: no page policy applies
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}).then("
        "  (r) => done(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target)}`)),"
        "  (e) => done([String(e)]));"
    )
    return list(found)


def texts(driver: WebDriver, selector: str) -> list[str]:
    """The text of every element `selector` finds, read at once (a table may be refilled)."""
    found: list[str] = driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText)", selector
    )
    return found


def no_policy_violations(driver: WebDriver) -> None:
    problems = [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "Content Security Policy" in entry["message"]
    ]
    assert not problems, problems


def test_a_reporter_sees_a_report_chart_with_the_apis_numbers(
    server: Server, browser: WebDriver, tmp_path: Path
) -> None:
    for subject in ("no power", "noisy fan"):
        status, opened = server.call(
            "POST", "/tickets", {"channel": "phone", "category": "repair", "subject": subject}
        )
        assert status == 201, opened
    sign_in(browser, server, "reporter", "reports")
    Select(
        wait(browser, lambda d: d.find_element(By.ID, "report-name"), "no reports")
    ).select_by_value("tickets")
    browser.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]").click()

    def chart_data(driver: WebDriver) -> list[Any] | None:
        return driver.execute_async_script(  # the page's own ECharts instance, and its data
            "const done = arguments[arguments.length - 1];"
            "import(document.querySelector('meta[name=kefu-charts]').content).then((e) => {"
            "  const chart = e.getInstanceByDom(document.getElementById('report-chart'));"
            "  done(chart ? chart.getOption().series[0].data : null); });"
        )

    # The ticket view's projection may lag the commands a little: wait for today's 2 tickets.
    def drawn_with_todays_tickets(driver: WebDriver) -> list[Any] | None:
        data = chart_data(driver)
        if data and max(v or 0 for v in data) >= 2:
            return data
        driver.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]").click()
        return None

    data = wait(browser, drawn_with_todays_tickets, "no chart with today's tickets")
    assert browser.find_elements(By.CSS_SELECTOR, "#report-chart canvas")
    headings, cells = table_of(browser, server)
    browser.save_screenshot(str(tmp_path / "report-tickets.png"))
    assert [float(v or 0) for v in data] == [float(r[headings.index("created")]) for r in cells]

    # Every dashboard the API has: the page's table equals the API's answer to the same query.
    names = [
        o.get_attribute("value") for o in Select(browser.find_element(By.ID, "report-name")).options
    ]
    assert {
        "satisfaction",
        "tickets",
        "calls",
        "agents",
        "complaints",
        "visits",
        "ledger",
        "sla",
    } <= set(names)
    for name in names:
        Select(browser.find_element(By.ID, "report-name")).select_by_value(name)
        browser.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]").click()
        wait(
            browser,
            lambda d, n=name: (
                d.find_element(By.ID, "report-table").get_attribute("data-query") or ""
            ).startswith(f"/reports/{n}?"),
            f"the {name} report was not shown",
        )
        table_of(browser, server)
    assert accessibility_violations(browser) == []
    no_policy_violations(browser)


def table_of(browser: WebDriver, server: Server) -> tuple[list[str], list[list[str]]]:
    """The report table on the page, checked cell by cell against the API's CSV of the page's
    own query (what its download button saves)."""
    table = browser.find_element(By.ID, "report-table")
    headings, cells = browser.execute_script(  # in one round trip, not one per cell
        "const t = arguments[0]; const text = (e) => e.textContent;"
        "const row = (r) => [...r.querySelectorAll('td')].map(text);"
        "return [[...t.querySelectorAll('thead th')].map(text),"
        " [...t.querySelectorAll('tbody tr')].map(row)];",
        table,
    )
    status, text = server.call("GET", table.get_attribute("data-query") + "&format=csv")
    assert status == 200, text
    header, *lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert headings == header or (not cells and not lines)
    assert len(cells) == len(lines)
    for shown, saved in zip(cells, lines, strict=True):
        assert all(same(a, b) for a, b in zip(shown, saved, strict=True)), (shown, saved)
    return headings, cells


def same(shown: str, saved: str) -> bool:
    """A cell on the page and in the CSV: equal text, or equal numbers (59 and 59.0), or the
    same truth (true and True)."""
    if shown == saved or shown.lower() == saved.lower() in ("true", "false"):
        return True
    try:
        return float(shown) == float(saved)
    except ValueError:
        return False


def test_the_wallboard_shows_a_queued_call_without_reloading(
    server: Server, browser: WebDriver, tmp_path: Path
) -> None:
    sign_in(browser, server, "reporter", "wallboard")

    def waiting(driver: WebDriver) -> str | None:
        tiles = driver.find_elements(By.CSS_SELECTOR, "[data-key=calls_waiting] .value")
        return tiles[0].text if tiles else None

    assert wait(browser, waiting, "the wallboard shows no snapshot") == "0"
    page = browser.execute_script("return performance.timeOrigin")
    status, call = server.call(
        "POST", "/calls", {"direction": "inbound", "customer_number": "13800138000",
                           "hotline": "4008001234"},
    )  # fmt: skip
    assert status == 201, call
    status, queued = server.call("POST", f"/calls/{call['id']}/queue", {"group": "vip"})
    assert status == 200, queued

    wait(browser, lambda d: waiting(d) == "1", "the queued call never reached the wallboard")
    wait(
        browser,
        lambda d: "vip" in d.find_element(By.ID, "wallboard-queues").text,
        "the wallboard shows no vip queue",
    )
    assert browser.execute_script("return performance.timeOrigin") == page  # no reload
    browser.save_screenshot(str(tmp_path / "wallboard.png"))
    assert accessibility_violations(browser) == []
    browser.set_window_size(390, 844)  # a phone: nothing wider than the screen but table boxes
    try:
        wait(
            browser,
            lambda d: (
                d.execute_script("return innerWidth < 500 && scrollX === 0")
                and d.execute_script("return document.documentElement.scrollWidth <= innerWidth")
            ),
            "the wallboard is wider than a phone's screen",
        )
        browser.save_screenshot(str(tmp_path / "wallboard-phone.png"))
    finally:
        browser.set_window_size(1280, 900)
    no_policy_violations(browser)


def test_an_auditor_opens_a_records_history_and_its_state_at_a_past_time(
    server: Server, browser: WebDriver, tmp_path: Path
) -> None:
    status, opened = server.call(
        "POST", "/tickets", {"channel": "web", "category": "billing", "subject": "charged twice"}
    )
    assert status == 201, opened
    status, reviewed = server.call(
        "POST", f"/tickets/{opened['id']}/review", {"note": "details complete"}
    )
    assert status == 200, reviewed
    sign_in(browser, server, "auditor", "audit")
    browser.find_element(By.ID, "audit-id").send_keys(opened["id"])
    browser.find_element(By.CSS_SELECTOR, "#audit-form button[type=submit]").click()

    rows = wait(browser, lambda d: texts(d, "#audit-history tbody tr"), "no history")
    assert len(rows) == 2 and "Opened" in rows[0] and "Reviewed" in rows[1], rows
    status, history = server.call("GET", f"/audit/streams/{opened['id']}/events")
    assert status == 200, history
    for row, event in zip(rows, history["events"], strict=True):
        meta = event["metadata"]
        for shown in ("actor_id", "actor_role", "command_id", "correlation_id"):
            assert meta[shown] in row, (shown, row)
    state = browser.find_element(By.ID, "audit-state")
    wait(browser, lambda d: state.get_attribute("data-version") == "2", "no latest state")

    # The state at a moment between the opening and the review: version 1. The field takes
    # local time, to the millisecond.
    opened_at, reviewed_at = (datetime.fromisoformat(e["at"]) for e in history["events"])
    between = opened_at + (reviewed_at - opened_at) / 2
    browser.execute_script(
        "const d = new Date(arguments[0]);"
        "const local = new Date(d.getTime() - d.getTimezoneOffset() * 60000);"
        "document.getElementById('state-at').value = local.toISOString().slice(0, 23);",
        between.isoformat(timespec="milliseconds"),
    )
    browser.find_element(By.ID, "state-at-show").click()
    wait(browser, lambda d: state.get_attribute("data-version") == "1", "no state at that time")
    assert '"status": "open"' in state.text

    browser.find_element(By.ID, "diff-show").click()  # version 1 → 2 by default
    changed = wait(browser, lambda d: texts(d, "#audit-diff tbody tr"), "no diff")
    assert any(r.startswith("status") and "open" in r and "reviewed" in r for r in changed)
    browser.find_element(By.ID, "audit-verify").click()
    verified = wait(
        browser,
        lambda d: d.find_element(By.ID, "audit-verification").get_attribute("data-ok"),
        "the verification never answered",
    )
    assert verified == "true"
    browser.save_screenshot(str(tmp_path / "audit.png"))
    assert accessibility_violations(browser) == []
    no_policy_violations(browser)
