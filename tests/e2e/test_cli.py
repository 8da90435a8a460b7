"""The ``crossdock`` command as an operator runs it: check, demo, dead letters, replay.

Every command runs as a real subprocess. The replay scenario drives a served gateway (another
subprocess) and a real receiver in this test's event loop, so the CLI's writes to the shared
SQLite journal are picked up by the server's workers the way they are in production.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from pathlib import Path

import httpx
import msgspec
import pytest

from gateway.demo.receiver import Ok, Reject, running_receiver
from tests.support import auth_headers

from .support import (
    Serve,
    as_json,
    free_port,
    order,
    query_journal,
    run_cli,
    wait_until,
    write_config,
)

UNSET_SECRET = "CROSSDOCK_TEST_E2E_UNSET_SECRET"


def test_check_accepts_the_repository_config() -> None:
    result = run_cli("check", "--config", "config")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("config ok: 2 partners, 2 channels, 2 destinations, 1 routes")


# (file, its new text, what stderr must contain: file:line, path, what was expected)
BROKEN = {
    "unknown partner": (
        "channels.yaml",
        """
        - name: json
          partner: nobody
          document_type: order
        """,
        [
            "channels.yaml:2: $[0].partner: unknown partner 'nobody'",
            "expected one of ['acme']",
        ],
    ),
    "bad type": (
        "destinations.yaml",
        """
        - name: erp
          url: http://127.0.0.1:9/erp
          retry:
            initial_delay: 0.1
            max_attempts: "three"
        """,
        ["destinations.yaml:5: $[0].retry.max_attempts: Expected `int`, got `str`"],
    ),
    "unset secret": (
        "destinations.yaml",
        f"""
        - name: erp
          url: http://127.0.0.1:9/erp
          headers: {{ X-Source: crossdock }}
          secret_headers:
            Authorization: {{ env: {UNSET_SECRET} }}
        """,
        [
            f"destinations.yaml:5: $[0].secret_headers.Authorization: environment variable"
            f" {UNSET_SECRET} is not set"
        ],
    ),
    "invalid yaml": (
        "routes.yaml",
        """
        - name: orders
          destinations: [erp]
         document_types: [order]
        """,
        ["routes.yaml:3: $: not valid YAML", "expected <block end>"],
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_check_names_file_line_path_and_expectation(case: str, tmp_path: Path) -> None:
    file, text, expected = BROKEN[case]
    config = write_config(tmp_path / "config", "http://127.0.0.1:9")
    (config / file).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    result = run_cli("check", "--config", str(config))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "config ok" not in result.stdout
    assert result.stderr.startswith("invalid config:\n"), result.stderr
    for fragment in expected:
        assert fragment in result.stderr, result.stderr
    # one problem, one report: no knock-on errors about the files that are fine
    problems = re.findall(r"^  (\S+\.yaml)(?::\d+)?: \$", result.stderr, flags=re.MULTILINE)
    assert problems == [file], result.stderr


def test_check_reports_every_problem_in_one_run(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", "http://127.0.0.1:9")
    for file, text, _ in (BROKEN["unknown partner"], BROKEN["invalid yaml"]):
        (config / file).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert "channels.yaml:2: $[0].partner" in result.stderr
    assert "routes.yaml:3: $: not valid YAML" in result.stderr


def test_discard_without_reason_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("dead-letters", "discard", "dl_X", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "discard needs --reason" in result.stderr
    both = run_cli("dead-letters", "redeliver", "dl_X", "--all", "--data-dir", str(tmp_path))
    assert both.returncode == 2
    assert "not both" in both.stderr


@pytest.mark.slow
def test_demo_then_inspect_its_dead_letters(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    demo = run_cli("demo", "--once", "--port", str(free_port()), "--data-dir", str(data))
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "2 dead letter(s):" in demo.stdout
    assert "stage=map" in demo.stdout
    assert "stage=deliver" in demo.stdout
    assert "after replay" in demo.stdout

    listed = run_cli("dead-letters", "list", "--data-dir", str(data), "--state", "any", "--json")
    assert listed.returncode == 0, listed.stderr
    dead = as_json(listed.stdout)
    assert len(dead) == 2
    by_stage = {dl["stage"]: dl for dl in dead}
    assert set(by_stage) == {"map", "deliver"}
    assert by_stage["deliver"]["state"] == "replayed"
    assert by_stage["deliver"]["destination"] == "wms"
    assert by_stage["map"]["state"] == "discarded"
    assert by_stage["map"]["reason"]
    assert all(dl["resolved_by"] for dl in dead)

    still_open = run_cli("dead-letters", "list", "--data-dir", str(data), "--json")
    assert as_json(still_open.stdout) == []

    shown = run_cli("dead-letters", "show", by_stage["deliver"]["id"], "--data-dir", str(data))
    assert shown.returncode == 0, shown.stderr
    info = as_json(shown.stdout)
    assert info["dead_letter"]["id"] == by_stage["deliver"]["id"]
    raw = msgspec.json.decode(info["message"]["raw"])
    canonical = msgspec.json.decode(info["message"]["canonical"])
    assert raw["po_number"] == canonical["po_number"]
    assert info["message"]["business_keys"] == {"po_number": raw["po_number"]}
    attempts = {d["destination"]: d["attempts"] for d in info["deliveries"]}
    wms_codes = [a["status_code"] for a in attempts["wms"]]
    assert wms_codes[:3] == [503, 503, 503]  # the series that dead-lettered
    assert wms_codes[-1] == 200  # the redelivery, once the WMS recovered (Ok())
    assert [a["outcome"] for a in attempts["wms"]][-1] == "ok"
    assert [a["status_code"] for a in attempts["erp"]] == [202]
    assert any(e["code"] == "redeliver" and e["stage"] == "replay" for e in info["events"])

    bad = as_json(
        run_cli("dead-letters", "show", by_stage["map"]["id"], "--data-dir", str(data)).stdout
    )
    assert "two" in bad["message"]["raw"]
    assert bad["message"]["canonical"] is None
    assert bad["deliveries"] == []


@pytest.mark.slow
async def test_cli_redeliver_is_delivered_by_the_running_gateway(
    tmp_path: Path, serve: Serve
) -> None:
    count = 5
    async with running_receiver({"/erp": Reject(422)}) as rx:
        config = write_config(tmp_path / "config", rx.url, destination="erp")
        data = tmp_path / "data"
        served = serve(config, data, CROSSDOCK_POLL_INTERVAL="0.1")
        await served.wait_ready()

        acme = await auth_headers(data, "acme")
        async with httpx.AsyncClient(base_url=served.url, timeout=30, headers=acme) as client:
            ids = []
            for n in range(count):
                response = await client.post(
                    "/v1/inbound/json",
                    content=msgspec.json.encode(order(n)),
                    headers={"Content-Type": "application/json"},
                )
                assert response.status_code == 202, response.text
                ids.append(response.json()["message_id"])

        def open_dead_letters() -> list[tuple[str, str, str]]:
            return query_journal(
                data,
                "SELECT id, message_id, code FROM dead_letters"
                " WHERE state = 'open' AND destination = 'erp'",
            )

        await wait_until(lambda: len(open_dead_letters()) == count, timeout=30, what="dead letters")
        assert {m for _, m, _ in open_dead_letters()} == set(ids)
        assert {code for _, _, code in open_dead_letters()} == {"http_422"}
        assert len(rx.received_on("/erp")) == count  # a 422 is not retried

        cli = ("--data-dir", str(data))
        no_reason = await asyncio.to_thread(
            run_cli, "dead-letters", "discard", "--all", "--destination", "erp", *cli
        )
        assert no_reason.returncode == 2, no_reason.stdout + no_reason.stderr
        assert "discard needs --reason" in no_reason.stderr
        assert len(open_dead_letters()) == count  # the usage error touched nothing

        listed = await asyncio.to_thread(
            run_cli, "dead-letters", "list", "--destination", "erp", "--json", *cli
        )
        assert len(as_json(listed.stdout)) == count

        rx.set_behaviour("/erp", Ok())  # the destination is fixed
        result = await asyncio.to_thread(
            run_cli, "dead-letters", "redeliver", "--all", "--destination", "erp", *cli
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"redeliver: {count} of {count} done" in result.stdout

        def delivered() -> bool:
            rows = query_journal(
                data,
                "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered' AND destination = 'erp'",
            )
            return rows[0][0] == count

        await wait_until(delivered, timeout=30, what="the server to deliver the redeliveries")
        assert open_dead_letters() == []

        keys = [r.idempotency_key for r in rx.received_on("/erp")]
        assert len(keys) == 2 * count  # one rejected attempt, one redelivery each
        assert sorted(keys) == sorted([f"{mid}.erp" for mid in ids] * 2)

        shown = await asyncio.to_thread(run_cli, "messages", "show", ids[0], *cli)
        assert shown.returncode == 0, shown.stderr
        message = as_json(shown.stdout)
        assert [d["state"] for d in message["deliveries"]] == ["delivered"]
        codes = [(e["stage"], e["outcome"], e["code"]) for e in message["events"]]
        assert ("deliver", "error", "http_422") in codes
        assert ("replay", "action", "redeliver") in codes
        assert codes[-1] == ("deliver", "ok", "")
        assert any(e["actor"].endswith("(cli)") for e in message["events"])

        replayed = await asyncio.to_thread(
            run_cli, "dead-letters", "list", "--state", "replayed", "--json", *cli
        )
        assert len(as_json(replayed.stdout)) == count
