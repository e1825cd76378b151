"""The job counts (count, runningcount, stats, serverload, the console's overview) come from job_counts, which
triggers keep (migration 0008): after jobs are made, converted, failed, canceled and deleted, they agree with the
jobs themselves, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import create_engine, text

from tests.harness import Server
from tests.invoice_api import text_png

JOB_ROWS = text("SELECT user_name, is_template, status, count(*) FROM jobs GROUP BY user_name, is_template, status")
COUNT_ROWS = text("SELECT user_name, is_template, status, n FROM job_counts WHERE n <> 0")


def test_counts_agree_with_the_jobs_after_every_kind_of_change(server: Server) -> None:
    client = server.client
    converted = client.post("/create", json={"TxtOutput": True}).json()
    failed = client.post("/create", json={}).json()
    kept = [client.post("/create", json={"Autostart": False}).json() for _ in range(3)]
    client.post("/createtemplate", json={"Descr": "counted apart"})
    assert client.post(f"/uploadext/{converted['Id']}/png", content=text_png(["Counted"])).status_code == 200
    assert client.post(f"/uploadext/{failed['Id']}/png", content=b"not a picture").status_code == 200
    assert client.post(f"/uploadext/{kept[0]['Id']}/png", content=text_png(["Canceled"])).status_code == 200
    assert client.post(f"/schedule/{kept[0]['Id']}").status_code == 200
    client.post(f"/cancel/{kept[0]['Id']}")  # 400 if a worker took it first: either way a status change
    assert client.delete(f"/delete/{kept[1]['Id']}").status_code == 200
    for job in (converted, failed, kept[0]):
        if client.get(f"/status/{job['Id']}").json() != 0:  # not the canceled one
            server.wait(job["Id"])

    statuses = Counter(job["Status"] for job in client.get("/all").json())
    assert statuses[3] >= 1 and statuses[4] >= 1
    assert client.get("/count").json() == sum(statuses.values())
    assert client.get("/runningcount").json() == statuses[2]
    overview = client.get(server.base.replace("/ocrjobs", "/console") + "/overview").json()
    names = ["created", "scheduled", "converting", "converted", "error"]
    assert overview["jobsByStatus"] == {name: statuses[value] for value, name in enumerate(names)}
    assert client.get("/stats").json()["ProcessingFiles"] == statuses[1] + statuses[2]
    assert client.get("/serverload").json()["ScheduledJobs"] == statuses[1]

    url = server.env.get("OCRMILL_DATABASE_URL") or f"sqlite:///{server.data_dir / 'ocrmill.db'}"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            jobs = {(u, bool(t), s): n for u, t, s, n in connection.execute(JOB_ROWS)}
            counts = {(u, bool(t), s): n for u, t, s, n in connection.execute(COUNT_ROWS)}
    finally:
        engine.dispose()
    assert counts == jobs
