"""Lighthouse (npm) mobile runs on the field app `/m/` signed in and on the review desk.

Set-up: a temporary SQLite file migrated and seeded with the demo data as `make run` seeds
it (`flask --app server db upgrade`, `seed-demo`), served by werkzeug's threaded server in
its own process (bench/loadbench/serve.py) on 127.0.0.1:5620. Lighthouse 12.2.3 (the last
line that runs on Node 20; 13 wants Node 22) is installed from npm into
bench/out/lighthouse/ on the first run; `make test` never needs it.

Signing in: Playwright drives /usr/bin/chromium with a persistent profile
(bench/out/lighthouse-profile, made afresh each run) and signs in on `/m/` as the first demo
account manager, waiting for the first sync and the service worker, then closes. Lighthouse
opens the same profile (`--user-data-dir` in --chrome-flags, `--disable-storage-reset` so
the device's IndexedDB session and its service worker stay): a returning field user. The
review desk is opened with the first demo supervisor's web session cookie
(`--extra-headers`), read from a Playwright sign-in at /login.

Lighthouse's defaults otherwise: mobile form factor (Moto G Power screen), simulated
throttling (slow 4G, 4× CPU slowdown: the load is observed unthrottled and the figures are
computed by Lantern), categories performance, accessibility and best practices. Each page
is run `--runs` times (default 3); the median score is reported. The JSON reports go to
bench/out/lighthouse-<page>-<n>.json; every audit below 1 of the last run is printed.

    python bench/lighthouse.py [--runs N]

Ends with one JSON line: {"lighthouse_m_home_performance", "lighthouse_m_home_accessibility",
"lighthouse_m_home_best_practices", "lighthouse_review_desk_performance", ...} (scores
0-100, medians) and "lighthouse_<page>_lcp_ms", "..._tbt_ms", "..._cls" (medians of the
simulated metrics).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.loadbench.serve import AppServer, server_env

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
LH_DIR = os.path.join(OUT, "lighthouse")
LH_BIN = os.path.join(LH_DIR, "node_modules", ".bin", "lighthouse")
LH_VERSION = "12.2.3"
PROFILE = os.path.join(OUT, "lighthouse-profile")
CHROMIUM = "/usr/bin/chromium"
PORT = 5620  # the app
DEBUG_PORT = 5621  # Chromium's remote debugging port under Lighthouse
CATEGORIES = ("performance", "accessibility", "best-practices")
METRICS = {
    "lcp_ms": "largest-contentful-paint",
    "tbt_ms": "total-blocking-time",
    "cls": "cumulative-layout-shift",
}


def install_lighthouse() -> None:
    """npm i -E lighthouse@12.2.3 into bench/out/lighthouse/ unless it is there."""
    if os.path.exists(LH_BIN):
        return
    os.makedirs(LH_DIR, exist_ok=True)
    package = os.path.join(LH_DIR, "package.json")
    if not os.path.exists(package):
        with open(package, "w") as fh:
            fh.write('{"private": true}\n')
    print(f"installing lighthouse@{LH_VERSION} into {LH_DIR}", flush=True)
    subprocess.run(
        ["npm", "i", "-E", f"lighthouse@{LH_VERSION}", "--no-audit", "--no-fund", "--silent"],
        cwd=LH_DIR,
        check=True,
    )


def seed(env: dict) -> None:
    """Migrate and seed the demo data, as `make database` does."""
    flask = [os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "server"]
    run_env = os.environ | env | {"PYTHONPATH": ROOT}
    for args in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + args, cwd=ROOT, env=run_env, check=True, stdout=subprocess.DEVNULL)


def first_users(db_path: str) -> dict:
    """The first demo user of each role (as `flask demo-logins` names them)."""
    from server.db import connect
    from server.seed.demo import logins

    db = connect(db_path)
    try:
        users = logins(db)
    finally:
        db.conn.close()
    firsts: dict = {}
    for user in users:
        firsts.setdefault(user["role"], user["username"])
    return firsts


def sign_in(base: str, manager: str, supervisor: str) -> str:
    """Sign in on the device in the persistent profile (closed afterwards); return the
    supervisor's web cookie header."""
    from playwright.sync_api import sync_playwright

    from server.seed.demo import DEMO_PASSWORD
    from tests.browser import sign_in as device_sign_in
    from tests.live import CHROMIUM_ARGS

    shutil.rmtree(PROFILE, ignore_errors=True)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            PROFILE, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            device_sign_in(page, type("S", (), {"url": base})(), manager)
        finally:
            context.close()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.goto(base + "/login")
            page.fill("input[name=username]", supervisor)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_selector("header.top nav")
            cookies = context.cookies(base)
            context.close()
        finally:
            browser.close()
    return "; ".join(f"{c['name']}={c['value']}" for c in cookies)


def lighthouse(url: str, report: str, profile: bool, headers: dict | None) -> dict:
    flags = "--headless=new --no-sandbox --disable-gpu --no-first-run"
    if profile:
        flags += f" --user-data-dir={PROFILE}"
    cmd = [
        LH_BIN,
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-path={CHROMIUM}",
        f"--chrome-flags={flags}",
        f"--port={DEBUG_PORT}",
        "--disable-storage-reset",
        "--max-wait-for-load=60000",
    ]
    if headers:
        cmd.append("--extra-headers=" + json.dumps(headers))
    subprocess.run(cmd, check=True, cwd=LH_DIR)
    with open(report) as fh:
        return json.load(fh)


def failed_audits(lhr: dict) -> list[str]:
    lines = []
    for cat in CATEGORIES:
        for ref in lhr["categories"][cat]["auditRefs"]:
            audit = lhr["audits"][ref["id"]]
            score = audit.get("score")
            if (
                score is None
                or score >= 1
                or audit.get("scoreDisplayMode")
                in (
                    "notApplicable",
                    "informative",
                    "manual",
                )
            ):
                continue
            if ref.get("weight", 0) == 0 and cat == "performance" and score >= 0.9:
                continue
            value = audit.get("displayValue", "")
            lines.append(
                f"    {cat}: {ref['id']} {score:.2f} {value} (weight {ref.get('weight')})"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    install_lighthouse()
    os.makedirs(OUT, exist_ok=True)
    result = {}
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        env = server_env(tmp, os.path.join(tmp, "fieldbook.db"))
        seed(env)
        users = first_users(env["FIELDBOOK_DATABASE"])
        server = AppServer("dev", env, os.path.join(tmp, "server.log"), port=PORT)
        with server:
            base = f"http://127.0.0.1:{PORT}"
            cookie = sign_in(base, users["account_manager"], users["supervisor"])
            pages = [
                (
                    "m_home",
                    f"{base}/m/",
                    True,
                    None,
                    f"/m/ signed in as {users['account_manager']}",
                ),
                (
                    "review_desk",
                    f"{base}/reviews/",
                    False,
                    {"Cookie": cookie},
                    f"/reviews/ signed in as {users['supervisor']}",
                ),
            ]
            print(
                f"Lighthouse {LH_VERSION}, mobile, simulated throttling, {args.runs} run(s) each"
            )
            for name, url, profile, headers, label in pages:
                scores = {cat: [] for cat in CATEGORIES}
                metrics = {key: [] for key in METRICS}
                for n in range(args.runs):
                    report = os.path.join(OUT, f"lighthouse-{name}-{n}.json")
                    lhr = lighthouse(url, report, profile, headers)
                    if lhr.get("finalDisplayedUrl", url).rstrip("/") != url.rstrip("/"):
                        print(f"  warning: ended at {lhr.get('finalDisplayedUrl')}")
                    for cat in CATEGORIES:
                        scores[cat].append(round((lhr["categories"][cat]["score"] or 0) * 100))
                    for key, audit in METRICS.items():
                        metrics[key].append(lhr["audits"][audit].get("numericValue") or 0)
                print(f"{label}:")
                for cat in CATEGORIES:
                    med = statistics.median(scores[cat])
                    print(f"  {cat:15} {med:5.0f}   runs {scores[cat]}")
                    result[f"lighthouse_{name}_{cat.replace('-', '_')}"] = med
                for key in METRICS:
                    med = statistics.median(metrics[key])
                    print(f"  {key:15} {med:8.2f}")
                    result[f"lighthouse_{name}_{key}"] = round(med, 3 if key == "cls" else 0)
                print("  audits below 1 (last run):")
                for line in failed_audits(lhr) or ["    none"]:
                    print(line)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
