"""The board page in real headless Chromium: play by clicking, the bot answers, undo, SGF.

Needs Debian's ``chromium`` and ``chromium-driver`` (``./dev test`` installs them) and selenium;
skips with the reason when they are absent.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from rocks.go.board import Position
from rocks.play.decision import Decision
from rocks.play.engine import Engine, EngineConfig
from rocks.play.web.server import BackgroundServer, Strength, WebConfig
from rocks.search.contracts import Candidate

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                       reason="headless Chromium absent: apt-get install chromium chromium-driver"),
]

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


class ShowingPlayer:
    """Plays the lowest legal point not on the edge, with analysis for the page to show."""

    name = "showing"

    def select_move(self, position: Position, time_budget_s: float) -> Decision:
        n = position.size
        legal = [int(p) for p in np.flatnonzero(position.legal_moves()[:-1])
                 if 0 < p // n < n - 1 and 0 < p % n < n - 1]
        if not legal:
            return Decision(move=position.pass_move)
        m = legal[-1]
        own = np.where(np.arange(n * n) % n < n // 2, 0.8, -0.8).astype(np.float32)
        return Decision(move=m, winrate=0.57, pv=tuple(legal[-1:-4:-1]), visits=42,
                        ownership=own,
                        candidates=tuple(Candidate(p, 30 - 5 * i, 0.3, 0.1) for i, p in
                                         enumerate(legal[-1:-4:-1])))


def factory(config: WebConfig, strength: Strength) -> Engine:
    return Engine(EngineConfig(), ShowingPlayer())


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with BackgroundServer(WebConfig(open_browser=False), factory) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    profile = tempfile.mkdtemp(prefix="rocks-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,900"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def board_attr(driver, name: str) -> str:
    return driver.find_element(By.ID, "board").get_attribute(name)


def wait_for_moves(driver, n: int) -> None:
    WebDriverWait(driver, 20).until(
        lambda d: board_attr(d, "data-move-number") == str(n)
        and board_attr(d, "data-busy") == "false")


def stone_at(driver, vertex: str) -> str | None:
    found = driver.find_elements(By.CSS_SELECTOR, f"circle.stone[data-vertex='{vertex}']")
    return None if not found else found[0].get_attribute("class").split()[-1]


def click(driver, vertex: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f"rect.hit[data-vertex='{vertex}']").click()


def test_play_a_short_game_by_clicking(server, browser):
    browser.get(server)
    wait_for_moves(browser, 0)
    assert len(browser.find_elements(By.CSS_SELECTOR, "rect.hit")) == 81
    assert "Your move" in browser.find_element(By.ID, "status").text

    click(browser, "C3")
    wait_for_moves(browser, 2)  # our stone and the bot's answer
    assert stone_at(browser, "C3") == "black"
    assert stone_at(browser, "H2") == "white"  # ShowingPlayer's choice
    # The last-move marker sits on the bot's reply (H2), dark on its white stone.
    marker = browser.find_element(By.ID, "last-move")
    reply = browser.find_element(By.CSS_SELECTOR, "circle.stone[data-vertex='H2']")
    assert [marker.get_attribute(a) for a in ("cx", "cy")] == \
        [reply.get_attribute(a) for a in ("cx", "cy")] == ["7", "7"]
    assert marker.get_attribute("stroke") == "#000"
    assert "57.0%" in browser.find_element(By.ID, "winrate").text
    assert browser.find_element(By.ID, "pv").text.startswith("H2")
    rows = browser.find_elements(By.CSS_SELECTOR, "#candidates tbody tr")
    assert len(rows) == 3 and rows[0].text.split()[:2] == ["H2", "30"]
    assert browser.find_elements(By.CSS_SELECTOR, "g.ownership rect")

    click(browser, "C3")  # occupied: a clear error, nothing changes
    WebDriverWait(browser, 10).until(
        lambda d: "occupied" in d.find_element(By.ID, "error").text)
    assert board_attr(browser, "data-move-number") == "2"

    click(browser, "D4")
    wait_for_moves(browser, 4)
    assert stone_at(browser, "G2") == "white"

    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "board.png"))
    assert (ARTIFACTS / "board.png").read_bytes()[:4] == b"\x89PNG"

    browser.find_element(By.ID, "undo").click()
    wait_for_moves(browser, 2)
    assert stone_at(browser, "D4") is None and stone_at(browser, "G2") is None
    assert stone_at(browser, "C3") == "black"

    browser.find_elements(By.CSS_SELECTOR, "#moves li")[0].click()  # review move 1
    WebDriverWait(browser, 10).until(lambda d: board_attr(d, "data-viewing") == "1")
    assert stone_at(browser, "C3") == "black" and stone_at(browser, "H2") is None
    assert "Reviewing move 1 of 2" in browser.find_element(By.ID, "status").text
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("\ue014")  # the right arrow steps forward, to the live position
    WebDriverWait(browser, 10).until(lambda d: board_attr(d, "data-viewing") == "")
    assert stone_at(browser, "H2") == "white"

    href = browser.find_element(By.ID, "sgf-link").get_attribute("href")
    sgf = httpx.get(href, timeout=10).text
    assert sgf.startswith("(;") and ";B[cg]" in sgf and ";W[hh]" in sgf

    browser.find_element(By.ID, "pass").click()
    wait_for_moves(browser, 4)  # the bot answers a pass with a move
    browser.find_element(By.ID, "resign").click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "status").text == "Game over: W+R")
    assert browser.find_element(By.ID, "result").text == "W+R"


def test_new_game_as_white_on_13x13_lets_the_bot_open(server, browser):
    browser.get(server)
    WebDriverWait(browser, 20).until(lambda d: board_attr(d, "data-size") is not None
                                     and board_attr(d, "data-busy") == "false")
    browser.find_element(By.CSS_SELECTOR, "#size option:nth-child(2)").click()
    browser.find_element(By.CSS_SELECTOR, "#colour option[value='white']").click()
    browser.find_element(By.ID, "new-game").click()
    wait_for_moves(browser, 1)
    assert board_attr(browser, "data-size") == "13"
    assert len(browser.find_elements(By.CSS_SELECTOR, "circle.stone.black")) == 1
    assert "Your move (white)" in browser.find_element(By.ID, "status").text


def test_an_uploaded_sgf_continues_on_the_page(server, browser, tmp_path):
    path = tmp_path / "game.sgf"
    path.write_text("(;GM[1]FF[4]SZ[9]KM[6.5];B[ee];W[cc];B[gg])")
    browser.get(server)
    WebDriverWait(browser, 20).until(lambda d: board_attr(d, "data-busy") == "false"
                                     and board_attr(d, "data-size") is not None)
    browser.find_element(By.ID, "sgf-file").send_keys(str(path))
    wait_for_moves(browser, 3)
    assert stone_at(browser, "E5") == "black" and stone_at(browser, "C7") == "white"
    assert stone_at(browser, "G3") == "black"
    assert "Your move (white)" in browser.find_element(By.ID, "status").text
    click(browser, "D4")
    wait_for_moves(browser, 5)
    assert stone_at(browser, "D4") == "white"
