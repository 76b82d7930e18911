#!/usr/bin/env python3
"""Builds the Markdown results table from what bench/run.sh left in its work directory.

Usage: report.py WORK_DIR

WORK_DIR holds:
  pages.tsv        one line per page (see run.sh for the columns), tab-separated, with a header
  meta.tsv         key<TAB>value lines: rss_idle_kb, rss_after_kb, date, nproc, cpu, ...
  wrk/NAME.app     wrk's output against the application
  wrk/NAME.nginx   wrk's output against nginx serving the same bytes
"""

import csv
import re
import sys
from pathlib import Path

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def parse_wrk(path: Path) -> dict:
    """Requests/sec, p50, p99 (in ms) and the count of error answers from one wrk output."""
    result = {"rps": None, "p50": None, "p99": None, "bad": 0, "socket_errors": ""}
    if not path.exists():
        return result
    text = path.read_text(errors="replace")
    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        result["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        if m := re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M):
            result[key] = float(m.group(1)) * UNITS_MS[m.group(2)]
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        result["bad"] = int(m.group(1))
    if m := re.search(r"Socket errors:(.*)", text):
        result["socket_errors"] = m.group(1).strip()
    return result


def ms(value) -> str:
    if value is None:
        return "?"
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def rps(value) -> str:
    return "?" if value is None else f"{value:,.0f}"


def kib(kb: str) -> str:
    try:
        return f"{int(kb) / 1024:.1f} MiB"
    except ValueError:
        return "?"


def main() -> None:
    work = Path(sys.argv[1])
    meta = dict(
        line.split("\t", 1)
        for line in (work / "meta.tsv").read_text().splitlines()
        if "\t" in line
    )
    with (work / "pages.tsv").open(newline="") as f:
        pages = list(csv.DictReader(f, delimiter="\t"))

    sql_header = meta.get("sql_header", "transactions/request")
    lines = [
        f"| page | bytes | req/s | nginx req/s | ratio | p50 | p99 | {sql_header} | writes/request |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for page in pages:
        app = parse_wrk(work / "wrk" / f"{page['name']}.app")
        ceiling = parse_wrk(work / "wrk" / f"{page['name']}.nginx")
        ratio = (
            f"{app['rps'] / ceiling['rps']:.1%}"
            if app["rps"] and ceiling["rps"]
            else "?"
        )
        label = f"{page['label']} `{page['path']}`"
        if page["status"] != "200":
            label += f" **(HTTP {page['status']})**"
            notes.append(f"{page['label']} answered HTTP {page['status']}, not 200.")
        if app["bad"]:
            label += " **(errors under load)**"
            notes.append(
                f"{page['label']}: {app['bad']} answers under load were not 2xx/3xx."
            )
        if app["socket_errors"]:
            notes.append(f"{page['label']}: wrk socket errors: {app['socket_errors']}.")
        lines.append(
            "| "
            + " | ".join(
                [
                    label,
                    f"{int(page['bytes']):,}",
                    rps(app["rps"]),
                    rps(ceiling["rps"]),
                    ratio,
                    ms(app["p50"]),
                    ms(app["p99"]),
                    page["sql_per_request"],
                    page["writes_per_request"],
                ]
            )
            + " |"
        )

    out = [
        f"# Boussole benchmark, {meta.get('date', '?')}",
        "",
        *lines,
        "",
        f"- Server RSS: {kib(meta.get('rss_idle_kb', '?'))} idle after start, "
        f"{kib(meta.get('rss_after_kb', '?'))} after the load.",
        f"- Date: {meta.get('date', '?')}; `nproc`: {meta.get('nproc', '?')}; "
        f"CPU: {meta.get('cpu', '?')}.",
        f"- Load: `{meta.get('wrk', '?')}` pinned to CPU 1; the application and nginx "
        "(1 worker) each pinned to CPU 0, measured one after the other. Responses are not "
        "compressed (wrk sends no Accept-Encoding). Signed in as the demo editor except the "
        "public link.",
        f"- {meta.get('sql_note', '')}",
        f"- Database: {meta.get('products', '?')} products; PostgreSQL {meta.get('pg_version', '?')}.",
    ]
    out += [f"- Note: {n}" for n in notes]
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if len(sys.argv) > 2:
        Path(sys.argv[2]).write_text(text)


if __name__ == "__main__":
    main()
