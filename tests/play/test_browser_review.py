"""The board page teaches, in real headless Chromium: the win-rate graph grows as the game goes,
review mode shows each move's point loss and the bot's preferred move, the graph jumps to a
move when clicked, and the hint (off by default) shows the bot's top move."""

from __future__ import annotations

import pytest

from tests.play.test_browser import (  # noqa: F401 - fixtures
    board_attr,
    browser,
    click,
    server,
    wait_for_moves,
)

pytestmark = pytest.mark.browser

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def test_play_review_and_click_the_graph(server, browser):  # noqa: F811
    browser.get(server)
    WebDriverWait(browser, 20).until(lambda d: board_attr(d, "data-busy") == "false"
                                     and board_attr(d, "data-size") is not None)
    browser.find_element(By.ID, "new-game").click()
    wait_for_moves(browser, 0)
    assert not browser.find_element(By.ID, "hint-toggle").is_selected()  # off by default
    click(browser, "C3")
    wait_for_moves(browser, 2)
    click(browser, "D4")
    wait_for_moves(browser, 4)
    # The bot's two searches are two points of the graph (Black's win rate 43%).
    assert len(browser.find_elements(By.CSS_SELECTOR, "#graph circle")) == 2
    assert "Black 43%" in browser.find_element(By.ID, "graph-note").text

    browser.find_element(By.ID, "review-game").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "review-card").is_displayed()
        and board_attr(d, "data-busy") == "false")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#graph circle")) >= 5  # start + 4 moves
    assert "Move 4" in browser.find_element(By.ID, "review-move").text
    assert "point loss" in browser.find_element(By.ID, "point-loss").text

    browser.find_element(By.CSS_SELECTOR, "#graph rect.graph-hit[data-move='1']").click()
    WebDriverWait(browser, 10).until(lambda d: board_attr(d, "data-viewing") == "1")
    text = browser.find_element(By.ID, "review-move").text
    assert text.startswith("Move 1: B C3") and "point loss" in text
    if "bot preferred" in text:  # a better move is ringed on the board
        preferred = browser.find_element(By.ID, "preferred").text
        ring = browser.find_element(By.CSS_SELECTOR, "circle.best-move")
        assert ring.get_attribute("data-vertex") == preferred
    cursor = browser.find_element(By.ID, "graph-cursor")
    hit = browser.find_element(By.CSS_SELECTOR, "#graph rect.graph-hit[data-move='1']")
    left, width = float(hit.get_attribute("x")), float(hit.get_attribute("width"))
    assert left <= float(cursor.get_attribute("x1")) <= left + width

    browser.find_element(By.CSS_SELECTOR, "#graph rect.graph-hit[data-move='4']").click()
    WebDriverWait(browser, 10).until(lambda d: board_attr(d, "data-viewing") == "")
    browser.find_element(By.ID, "hint-toggle").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.ID, "hint"))
    hint = browser.find_element(By.ID, "hint").get_attribute("data-vertex")
    assert hint and not browser.find_elements(
        By.CSS_SELECTOR, f"circle.stone[data-vertex='{hint}']")
