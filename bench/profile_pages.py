"""Profile pages end to end in one process: where a request's time goes (issue 17).

    .venv/bin/python bench/profile_pages.py                 # every page of bench_pages.py
    .venv/bin/python bench/profile_pages.py --page home     # one page, by the start of its name
    .venv/bin/python bench/profile_pages.py --top 40 --sort cumulative

It builds the same database as bench/bench_pages.py (the demo grown to 10,000 employers, on
SQLite), signs in through the test client, and runs each page 200 times under cProfile after a
warm-up. Per page it prints the statements it ran, the share of the time by package (the
portal's modules and templates by file), and the top functions. cProfile slows call-heavy code
more than the rest, so the shares are where to look, not what a request costs; bench_pages.py
measures that. Nothing here is timed in the unit tests.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import subprocess  # noqa: S404 - runs our own flask commands
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import BIN, EMPLOYERS, PASSWORD, ROOT, grow_employers  # noqa: E402

PAGES = {
    "home": ("owner-a", "/e/1/"),
    "amounts": ("owner-a", "/e/1/amounts/"),
    "decision": ("owner-a", "/e/1/deferral/"),
    "application": ("owner-a", "/e/1/applications/"),
    "review queue": ("reviewer", "/review/"),
    "staff employer list": ("hall", "/staff/employers"),
}


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """The share of own time by package (site-packages) or by file (the portal's own)."""
    totals: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        if "site-packages/" in filename:
            key = filename.split("site-packages/")[1].split("/")[0]
        elif filename.startswith(str(ROOT)):
            key = filename[len(str(ROOT)) + 1 :]
        else:
            key = "(Python: " + Path(filename).name + ")"
        totals[key] = totals.get(key, 0.0) + own
    whole = sum(totals.values()) or 1.0
    return sorted(((k, v / whole) for k, v in totals.items()), key=lambda kv: -kv[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", help="only the pages whose name starts so")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="a pstats sort key")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="portal-profile-"))
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "PORTAL_TODAY": "2022-08-15",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
        "SECRET_KEY": "bench-" * 8,
        "PYTHONPATH": str(ROOT),
    }
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    subprocess.run([*flask, "portal", "demo"], env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    grow_employers(env, EMPLOYERS)
    os.environ.update(env)

    from sqlalchemy import event

    from portal import create_app
    from portal.core.extensions import db

    app = create_app()
    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    clients = {}
    for name, (user, path) in PAGES.items():
        if args.page and not name.startswith(args.page):
            continue
        if user not in clients:
            client = clients[user] = app.test_client()
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
            form = {"csrf_token": token, "username": user, "password": PASSWORD}
            assert client.post("/login", data=form).status_code == 302  # noqa: S101
        client = clients[user]
        for _ in range(20):
            assert client.get(path).status_code == 200, path  # noqa: S101
        seen.clear()
        client.get(path)
        statements = list(seen)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            client.get(path)
        profile.disable()
        stats = pstats.Stats(profile)
        print(f"\n=== {name} {path} as {user}: {len(statements)} statements")
        for statement in statements:
            print("    " + " ".join(statement.split())[:140])
        print("share of the time by package or file:")
        for key, share in by_package(stats)[:12]:
            print(f"  {share * 100:5.1f} %  {key}")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue().split("\n", 6)[-1].replace(str(ROOT) + "/", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
