"""The monitoring-room console in headless Chromium (Debian's /usr/bin/chromium driven by
Playwright): live alerts with acknowledge and resolve, the container dossier with its map, the
duty-log entry form and handover. Saves screenshots to tmp_path and copies them to
SCREENSHOT_COPY and SCREENSHOT_ALERTS."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from devstack.suite import RunningService, Suite
from services.seal.domain.simulator import Detour, Scenario
from tests.gateway.scenery import (
    bearer,
    container_number,
    make_room,
    make_site,
    officer_json,
    plate_number,
    scan_container,
    seal_transit,
    unique,
)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOT_COPY = Path("/tmp/customs-console.png")  # the dossier view
SCREENSHOT_ALERTS = Path("/tmp/customs-console-alerts.png")  # live feed with an open alarm


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def test_console_end_to_end(
    suite: Suite, gateway: RunningService, http: httpx.Client, browser: Browser, tmp_path: Path
) -> None:
    site = make_site(suite, 11.072, 106.163)
    room_id = make_room(http, suite, [site.name])
    subject = "officer:console"
    token = suite.issuer.mint(subject, ["officer", "supervisor"], name="Trần Văn Minh")
    opened = http.post(
        f"/v1/rooms/{room_id}/shifts",
        params={"shift_id": "night-1"},
        json={"leader": officer_json(subject, "Trần Văn Minh")},
        headers=bearer(token),
    )
    assert opened.status_code == 201, opened.text

    page: Page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests_out: list[str] = []
    page.on("request", lambda r: requests_out.append(r.url))
    page.goto(f"{gateway.address}/console/?token={token}&room={room_id}")
    expect(page.locator("#whoami")).to_contain_text("Trần Văn Minh")
    assert "token=" not in page.url  # removed from the address bar, kept in sessionStorage
    expect(page.locator("#feed-status")).to_have_text("live", timeout=15_000)

    # A container on the watchlist passes the site's entry gate: the camera alerts, the feed
    # shows it live, the duty log opens an alarm in the room.
    number = container_number()
    listed = http.post(
        "/v1/watchlistEntries",
        params={"watchlist_entry_id": unique("w")},
        json={
            "kind": "WATCH_KIND_CONTAINER",
            "value": number,
            "reason": "Declared as textiles, risk profile",
            "action": "WATCH_ACTION_ALERT",
        },
        headers=bearer(token),
    )
    assert listed.status_code == 201, listed.text
    passage = site.read(site.entry, plate_number(), [number])
    closed = http.post(
        f"/v1/sites/{passage.name.removeprefix('sites/')}:close", headers=bearer(token)
    )
    assert closed.status_code == 200, closed.text

    expect(page.locator("#feed li[data-kind=WATCHLIST_HIT]", has_text=number).first).to_be_visible(
        timeout=30_000
    )
    row = page.locator("#alarms tbody tr", has_text="WATCHLIST_HIT").first
    expect(row).to_be_visible(timeout=30_000)
    page.screenshot(path=str(tmp_path / "console-alerts.png"), full_page=True)
    shutil.copyfile(tmp_path / "console-alerts.png", SCREENSHOT_ALERTS)
    row.locator("button.ack").click()
    expect(row.locator(".state")).to_have_text("ACKNOWLEDGED")
    row.locator("input").fill("Container inspected, documents in order")
    row.locator("button.resolve").click()
    expect(page.locator("#alarms tbody tr", has_text="WATCHLIST_HIT")).to_have_count(0)

    # The container dossier: risk, gate passage, the scan image with its finding boxes, the
    # seal track over its corridor between the sites.
    scan = scan_container(http, suite, number, site.name)
    seal_transit(http, suite, number, Scenario(detours=(Detour(30_000, 36_000, 800.0),)))
    page.click("button[data-view=dossier]")
    page.fill("#container-number", number)
    page.click("#dossier-form button[type=submit]")
    expect(page.locator("#risk")).to_contain_text(number)
    expect(page.locator("#risk .signal", has_text="WATCHLIST_HIT").first).to_be_visible()
    expect(page.locator(f"#passages tr[data-passage='{passage.name}']")).to_have_count(1)
    # The map is drawn once the sites are loaded (after the rest of the dossier): wait for
    # its markers of the gate's site, the transit's origin and its destination.
    markers = page.locator("#track-map circle.site-marker")
    for name in (f"Port {site.site_id}", "origin: ", "destination: "):
        expect(markers.filter(has_text=name).first).to_be_attached()
    expect(page.locator("#track-map path.track")).to_have_count(1)
    expect(page.locator("#track-map path.corridor")).to_have_count(1)
    image = page.locator(f"#scans img[alt*='{scan['name']}']")
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 600", arg=image.element_handle()
    )
    assert page.locator("#scans rect.finding").count() >= 1
    expect(page.locator("#dossier-entries li").first).to_be_visible()
    shot = tmp_path / "console.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copyfile(shot, SCREENSHOT_COPY)

    # The duty log: an entry through the form, then the handover.
    page.click("button[data-view=dutylog]")
    expect(page.locator("#shift")).to_contain_text("night-1")
    page.fill("#entry-text", "Barrier checked at lane in-1")
    page.fill("#entry-containers", number)
    page.click("#entry-form button[type=submit]")
    expect(page.locator("#entries li", has_text="Barrier checked at lane in-1")).to_have_count(1)
    entries = http.get(f"/v1/rooms/{room_id}/entries", headers=bearer(token)).json()["entries"]
    written = [e for e in entries if e["text"] == "Barrier checked at lane in-1"]
    assert written[0]["references"]["container_numbers"] == [number]
    expect(page.locator("#error")).to_be_hidden()

    page.click("button[data-view=dutylog]")
    page.fill("#handover-id", "h-night-1")
    page.click("#handover-form button[type=submit]")
    expect(
        page.locator(f"#handovers li[data-handover='rooms/{room_id}/handovers/h-night-1']")
    ).to_contain_text("PENDING")
    expect(page.locator("#shift")).to_have_text("no open shift")
    # The next shift opens through the console and takes the handover over.
    page.fill("#shift-id", "day-2")
    page.click("#open-shift-form button[type=submit]")
    expect(page.locator("#shift")).to_contain_text("day-2")
    pending = page.locator(f"#handovers li[data-handover='rooms/{room_id}/handovers/h-night-1']")
    pending.locator("button").click()
    expect(pending).to_contain_text("ACKNOWLEDGED")
    expect(page.locator("#error")).to_be_hidden()
    assert shot.stat().st_size > 10_000
    # Offline: every request went to the gateway, except the scan image, which the browser
    # fetches from the object store by its presigned URL (images never pass the gateway).
    store = f"{suite.stores.s3_endpoint}/"
    elsewhere = [u for u in requests_out if not u.startswith(gateway.address)]
    assert elsewhere and all(u.split("://", 1)[1].startswith(store) for u in elsewhere), elsewhere
    # API calls (the alert stream included) carry the token in a header, never in the URL.
    api_calls = [u for u in requests_out if "/v1/" in u]
    assert any("/v1/alerts:stream" in u for u in api_calls)
    assert not [u for u in api_calls if "token=" in u]
    page.close()
