"""The HTML report opens in a real headless Chromium: screenshot taken, rendered DOM shows the counts and chart."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from replay_support import FIXTURES, json_rows, replay

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

if BROWSER is None and os.environ.get("CI") != "true":
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True)


def _chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    assert BROWSER, "CI must have chromium installed (.ci/run installs it)"
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, timeout=120)


def test_report_renders_counts_and_chart(tmp_path):
    report = tmp_path / "report.html"
    proc = replay(str(FIXTURES), "--report", str(report))
    assert proc.returncode == 0, proc.stderr.decode()
    rows = json_rows(replay(str(FIXTURES), "--json"))
    warned = sum(r["rating"] == "not-appropriate" for r in rows)

    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", report.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000

    dom = _chromium(tmp_path, "--dump-dom", report.as_uri()).stdout.decode()
    text = re.sub(r"<[^>]+>", " ", dom)
    text = re.sub(r"\s+", " ", text)
    assert f"{len(rows)} Orders replayed" in text
    assert f"{warned} ({100 * warned / len(rows):.1f}%) Orders warned on" in text
    assert "Low Back Pain" in text and "LBP-7" in text
    chart = re.search(r'<svg id="rating-chart".*?</svg>', dom, re.S)
    assert chart and chart.group(0).count("<rect") == len({r["rating"] for r in rows})
    assert dom.count("<details>") == warned
