"""The OCR invoice API through real HTTP (/api/v1/ocr-invoice-jobs and /api/v1/ocr-invoice-job-pages): the
envelope, every endpoint, each validation error, listing with filter/sort/search/paging on pages that were
really recognised, deleting, and what one user sees of another's jobs. On SQLite and on PostgreSQL; the tests marked
s3 once more with the S3 file store (SeaweedFS)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.harness import Server, running, stored_names
from tests.invoice_api import (
    BOX,
    BROKEN_URL,
    EXAMPLE_ANNOTATION,
    EXAMPLE_BLOCK,
    EXAMPLE_IMAGE_PROPERTIES,
    EXAMPLE_OCR_RESULTS,
    EXAMPLE_PAGE_KEYS,
    EXAMPLE_PREPROCESSING,
    EXAMPLE_WORD,
    ID,
    STAMP,
    data_url,
    error,
    listed,
    new_job,
    new_page,
    ok,
    pages_of,
    table_png,
    text_png,
    upload,
    v1,
    wait_job,
    wait_page,
    writable,
)

UNKNOWN_ID = "0123456789abcdef01234567"


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    with v1(server) as client:
        yield client


@pytest.fixture(scope="module")
def empty_job(api: httpx.Client) -> dict[str, Any]:
    """A job without pages (made from a JSON body), for the validation tests."""
    return new_job(api, name="validation")


# -- jobs ------------------------------------------------------------------------------------------------------


def test_a_job_from_json_is_created_read_replaced_listed_and_deleted(api: httpx.Client) -> None:
    created = ok(
        api.post("/ocr-invoice-jobs", json={"name": "March", "metadata": {"ref": "A-1"}, "autoRetry": False}), 201
    )
    assert ID.match(created["_id"])
    assert created["status"] == "pending"
    assert (created["name"], created["metadata"], created["autoRetry"]) == ("March", {"ref": "A-1"}, False)
    assert (created["pageCount"], created["progress"], created["createdBy"]) == (0, 0, "")
    assert STAMP.match(created["createdAt"]) and STAMP.match(created["updatedAt"])
    assert not [k for k in created if k.startswith("_") and k != "_id"], "server-side keys leak"
    job_id = created["_id"]

    assert ok(api.get(f"/ocr-invoice-jobs/{job_id}")) == created
    assert ok(api.get(f"/ocr-invoice-jobs/{job_id.upper()}"))["_id"] == job_id

    # read-only properties in a PUT are ignored; the writable ones are replaced
    replaced = ok(
        api.put(f"/ocr-invoice-jobs/{job_id}", json=created | {"name": "April", "metadata": {}, "status": "completed"})
    )
    assert (replaced["name"], replaced["metadata"], replaced["status"]) == ("April", {}, "pending")
    assert replaced["updatedAt"] >= created["updatedAt"] and replaced["createdAt"] == created["createdAt"]
    assert ok(api.get(f"/ocr-invoice-jobs/{job_id}"))["name"] == "April"

    data, total = listed(api.get("/ocr-invoice-jobs", params={"filter": json.dumps({"_id": job_id})}))
    assert total == 1 and [j["_id"] for j in data] == [job_id]
    data, total = listed(api.get("/ocr-invoice-jobs", params={"search": "APRIL"}))
    assert job_id in [j["_id"] for j in data]

    deleted = ok(api.delete(f"/ocr-invoice-jobs/{job_id}"))
    assert deleted["_id"] == job_id
    error(api.get(f"/ocr-invoice-jobs/{job_id}"), 404, "not_found", job_id)
    error(api.delete(f"/ocr-invoice-jobs/{job_id}"), 404, "not_found")
    assert listed(api.get("/ocr-invoice-jobs", params={"filter": json.dumps({"_id": job_id})}))[1] == 0


@pytest.mark.parametrize(
    ("body", "status", "code", "named"),
    [
        ({"metadata": ["not", "an", "object"]}, 422, "validation_error", "metadata"),
        ({"metadata": "text"}, 422, "validation_error", "metadata"),
        ({"name": 5}, 422, "validation_error", "name"),
        ({"autoRetry": "yes"}, 422, "validation_error", "autoRetry"),
        ([], 422, "validation_error", "body"),
    ],
)
def test_an_invalid_job_body_is_refused(api: httpx.Client, body: Any, status: int, code: str, named: str) -> None:
    error(api.post("/ocr-invoice-jobs", json=body), status, code, named)


def test_a_job_body_that_is_not_json_is_refused(api: httpx.Client, empty_job: dict[str, Any]) -> None:
    headers = {"Content-Type": "application/json"}
    error(api.post("/ocr-invoice-jobs", content=b"{name:", headers=headers), 400, "bad_request", "JSON")
    error(api.put(f"/ocr-invoice-jobs/{empty_job['_id']}", content=b"", headers=headers), 400, "bad_request", "JSON")
    error(api.put(f"/ocr-invoice-jobs/{empty_job['_id']}", json={"metadata": 1}), 422, "validation_error", "metadata")


@pytest.mark.parametrize("job_id", ["nope", UNKNOWN_ID, "0123456789abcdef0123456z", "0123456789abcdef012345678"])
def test_an_unknown_or_malformed_job_id_is_404(api: httpx.Client, job_id: str) -> None:
    error(api.get(f"/ocr-invoice-jobs/{job_id}"), 404, "not_found", job_id)
    error(api.put(f"/ocr-invoice-jobs/{job_id}", json={"name": "x"}), 404, "not_found", job_id)
    error(api.delete(f"/ocr-invoice-jobs/{job_id}"), 404, "not_found", job_id)
    error(api.get(f"/ocr-invoice-jobs/{job_id}/download/json"), 404, "not_found")
    error(api.get(f"/ocr-invoice-jobs/{job_id}/images/0001.png"), 404, "not_found")


def test_upload_errors(api: httpx.Client) -> None:
    png = text_png(["x"])
    unsupported = api.post("/ocr-invoice-jobs", files=[("file", ("notes.txt", b"plain text", "text/plain"))])
    error(unsupported, 415, "unsupported_media_type")
    bad_metadata = api.post("/ocr-invoice-jobs", files=[("file", ("a.png", png, "image/png"))], data={"metadata": "{x"})
    error(bad_metadata, 422, "validation_error", "metadata")
    not_object = api.post("/ocr-invoice-jobs", files=[("file", ("a.png", png, "image/png"))], data={"metadata": "[1]"})
    error(not_object, 422, "validation_error", "metadata")
    no_file = api.post("/ocr-invoice-jobs", files=[("attachment", ("a.png", png, "image/png"))])
    error(no_file, 400, "bad_request", "file")
    empty = api.post("/ocr-invoice-jobs", files=[("file", ("a.png", b"", "image/png"))])
    error(empty, 400, "bad_request", "empty")
    # none of these left a job behind
    assert listed(api.get("/ocr-invoice-jobs", params={"search": "a.png"}))[1] == 0


# -- pages -----------------------------------------------------------------------------------------------------


@pytest.mark.s3
def test_a_page_is_created_recognised_read_replaced_and_deleted(api: httpx.Client) -> None:
    job = new_job(api, name="one page")
    url = data_url(text_png(["Invoice KESTREL 4471", "Total 99.00 EUR"]))
    body = {
        "job": job["_id"],
        "pageNumber": 1,
        "pageUrl": url,
        "pageType": "cover",
        "imageProperties": {"width": 1, "height": 2, "dpi": 300, "colorSpace": "grayscale", "format": "png", "size": 3},
        "annotations": [
            {"type": "comment", "text": "looks fine", "coordinates": {"x": 1, "y": 2, "width": 3, "height": 4}}
        ],
        "metadata": {"scanner": "S1", "batch": 7},
        "status": "completed",  # read-only: ignored
        "ocrResults": {"text": "forged"},  # read-only: ignored
    }
    created = ok(api.post("/ocr-invoice-job-pages", json=body), 201)
    assert set(created) >= EXAMPLE_PAGE_KEYS, EXAMPLE_PAGE_KEYS - set(created)
    assert "pageUrl" in created and "pageTypeGiven" not in created
    assert ID.match(created["_id"]) and created["job"] == job["_id"]
    assert (created["pageNumber"], created["pageType"]) == (1, "cover")
    # the data: URL is kept as a file of the job, like an upload's page image: the page names that image
    assert re.fullmatch(
        rf"http://127\.0\.0\.1:\d+/api/v1/ocr-invoice-jobs/{job['_id']}/images/[0-9a-f]{{24}}\.png", created["pageUrl"]
    )
    image = api.get(created["pageUrl"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert data_url(image.content) == url
    assert created["status"] in ("pending", "processing")
    assert created["ocrResults"]["text"] == ""
    assert created["metadata"] == {"scanner": "S1", "batch": 7}
    (note,) = created["annotations"]
    assert set(note) >= EXAMPLE_ANNOTATION
    assert (note["type"], note["text"], note["createdBy"]) == ("comment", "looks fine", "")
    assert note["coordinates"] == {"x": 1, "y": 2, "width": 3, "height": 4}
    assert STAMP.match(note["createdAt"]) and STAMP.match(created["createdAt"])
    assert ok(api.get(f"/ocr-invoice-jobs/{job['_id']}"))["pageCount"] == 1

    page = wait_page(api, created["_id"])
    assert page["status"] == "completed", page["errorLog"]
    assert set(page) >= EXAMPLE_PAGE_KEYS
    assert page["pageType"] == "cover", "a pageType the client gave is kept"
    assert set(page["imageProperties"]) >= EXAMPLE_IMAGE_PROPERTIES
    assert page["imageProperties"]["width"] == 900, "the server measures the image it recognised"
    assert set(page["preprocessing"]) >= EXAMPLE_PREPROCESSING
    assert all(isinstance(page["preprocessing"][k], bool) for k in EXAMPLE_PREPROCESSING - {"rotationAngle"})
    assert set(page["ocrResults"]) >= EXAMPLE_OCR_RESULTS
    assert "KESTREL" in page["ocrResults"]["text"]
    assert page["ocrResults"]["words"] and page["ocrResults"]["blocks"]
    assert all(set(w) >= EXAMPLE_WORD and set(w["boundingBox"]) == BOX for w in page["ocrResults"]["words"])
    assert all(set(b) >= EXAMPLE_BLOCK for b in page["ocrResults"]["blocks"])
    assert isinstance(page["tableData"], list) and isinstance(page["extractedFields"], dict)
    assert 0 <= page["qualityScore"] <= 1 and page["retryCount"] == 0 and page["errorLog"] == ""
    assert STAMP.match(page["startedAt"]) and STAMP.match(page["completedAt"])
    assert page["createdAt"] <= page["startedAt"] <= page["completedAt"]
    assert page["annotations"] == created["annotations"]

    # replace without a new pageUrl: properties change, the recognition stays
    replaced = ok(
        api.put(
            f"/ocr-invoice-job-pages/{page['_id']}", json=writable(page, pageNumber=3, pageType="summary", metadata={})
        )
    )
    assert (replaced["pageNumber"], replaced["pageType"], replaced["metadata"]) == (3, "summary", {})
    assert replaced["status"] == "completed" and replaced["ocrResults"] == page["ocrResults"]
    assert replaced["updatedAt"] >= page["updatedAt"] and replaced["createdAt"] == page["createdAt"]
    assert ok(api.get(f"/ocr-invoice-job-pages/{page['_id']}")) == replaced

    deleted = ok(api.delete(f"/ocr-invoice-job-pages/{page['_id']}"))
    assert deleted["_id"] == page["_id"]
    error(api.get(f"/ocr-invoice-job-pages/{page['_id']}"), 404, "not_found", page["_id"])
    error(api.delete(f"/ocr-invoice-job-pages/{page['_id']}"), 404, "not_found")
    after = ok(api.get(f"/ocr-invoice-jobs/{job['_id']}"))
    assert (after["pageCount"], after["pagesCompleted"]) == (0, 0)


def page_body(job_id: str, **changes: Any) -> dict[str, Any]:
    return {"job": job_id, "pageNumber": 1, "pageUrl": BROKEN_URL} | changes


INVALID_PAGES: dict[str, tuple[dict[str, Any], int, str, str]] = {
    "job missing": ({"job": None}, 422, "validation_error", "job"),
    "job not an id": ({"job": "60f7b1b3"}, 422, "validation_error", "job"),
    "job unknown": ({"job": UNKNOWN_ID}, 404, "not_found", "job"),
    "pageNumber 0": ({"pageNumber": 0}, 422, "validation_error", "pageNumber"),
    "pageNumber string": ({"pageNumber": "1"}, 422, "validation_error", "pageNumber"),
    "pageNumber missing": ({"pageNumber": None}, 422, "validation_error", "pageNumber"),
    "pageNumber float": ({"pageNumber": 1.5}, 422, "validation_error", "pageNumber"),
    "pageUrl missing": ({"pageUrl": None}, 422, "validation_error", "pageUrl"),
    "pageUrl scheme": ({"pageUrl": "ftp://example.com/a.png"}, 422, "validation_error", "pageUrl"),
    "pageUrl foreign image": (
        {"pageUrl": f"/api/v1/ocr-invoice-jobs/{UNKNOWN_ID}/images/0001.png"},
        404,
        "not_found",
        "pageUrl",
    ),
    "pageType": ({"pageType": "body"}, 422, "validation_error", "pageType"),
    "annotation type": (
        {"annotations": [{"type": "sticker", "text": "x"}]},
        422,
        "validation_error",
        "annotations.0.type",
    ),
    "annotation field": (
        {"annotations": [{"type": "correction", "text": "x", "field": "colour"}]},
        422,
        "validation_error",
        "annotations.0.field",
    ),
    "annotation box": (
        {"annotations": [{"type": "comment", "coordinates": {"x": -1, "y": 0, "width": 1, "height": 1}}]},
        422,
        "validation_error",
        "annotations.0.coordinates.x",
    ),
    "annotations not a list": ({"annotations": {"type": "comment"}}, 422, "validation_error", "annotations"),
    "dpi negative": ({"imageProperties": {"dpi": -300}}, 422, "validation_error", "imageProperties.dpi"),
    "colorSpace": ({"imageProperties": {"colorSpace": "sepia"}}, 422, "validation_error", "imageProperties.colorSpace"),
    "metadata list": ({"metadata": [1, 2]}, 422, "validation_error", "metadata"),
    "metadata string": ({"metadata": "x"}, 422, "validation_error", "metadata"),
}


@pytest.mark.parametrize("case", list(INVALID_PAGES))
def test_an_invalid_page_is_refused_with_the_property_named(
    api: httpx.Client, empty_job: dict[str, Any], case: str
) -> None:
    changes, status, code, named = INVALID_PAGES[case]
    body = {k: v for k, v in page_body(empty_job["_id"], **changes).items() if v is not None}
    error(api.post("/ocr-invoice-job-pages", json=body), status, code, named)
    # the same through PUT on an existing page
    page = new_page(api, empty_job["_id"], 1000 + list(INVALID_PAGES).index(case), BROKEN_URL)
    error(api.put(f"/ocr-invoice-job-pages/{page['_id']}", json=body), status, code, named)
    assert (
        listed(
            api.get("/ocr-invoice-job-pages", params={"filter": json.dumps({"job": empty_job["_id"], "pageNumber": 1})})
        )[1]
        == 0
    )


def test_a_page_body_that_is_not_a_json_object_is_refused(api: httpx.Client, empty_job: dict[str, Any]) -> None:
    headers = {"Content-Type": "application/json"}
    error(api.post("/ocr-invoice-job-pages", content=b"{", headers=headers), 400, "bad_request", "JSON")
    error(api.post("/ocr-invoice-job-pages", content=b"", headers=headers), 400, "bad_request")
    error(api.post("/ocr-invoice-job-pages", json=[page_body(empty_job["_id"])]), 422, "validation_error", "body")


@pytest.mark.parametrize("page_id", ["nope", UNKNOWN_ID])
def test_an_unknown_page_is_404(api: httpx.Client, empty_job: dict[str, Any], page_id: str) -> None:
    error(api.get(f"/ocr-invoice-job-pages/{page_id}"), 404, "not_found", page_id)
    error(api.put(f"/ocr-invoice-job-pages/{page_id}", json=page_body(empty_job["_id"])), 404, "not_found", page_id)
    error(api.delete(f"/ocr-invoice-job-pages/{page_id}"), 404, "not_found", page_id)


def test_a_page_number_is_unique_within_its_job(api: httpx.Client) -> None:
    first, second = new_job(api, name="dup 1"), new_job(api, name="dup 2")
    one = new_page(api, first["_id"], 1, BROKEN_URL)
    two = new_page(api, first["_id"], 2, BROKEN_URL)
    new_page(api, second["_id"], 1, BROKEN_URL)  # the same number in another job is fine
    error(api.post("/ocr-invoice-job-pages", json=page_body(first["_id"])), 409, "conflict", "pageNumber")
    error(
        api.put(f"/ocr-invoice-job-pages/{two['_id']}", json=writable(two, pageNumber=1)), 409, "conflict", "pageNumber"
    )
    # moving page 1 of the first job into the second job, where 1 is taken, conflicts too
    error(
        api.put(f"/ocr-invoice-job-pages/{one['_id']}", json=writable(one, job=second["_id"])),
        409,
        "conflict",
        "pageNumber",
    )
    # keeping its own number is no conflict; moving it under a free number is fine, and both jobs follow
    assert ok(api.put(f"/ocr-invoice-job-pages/{one['_id']}", json=writable(one)))["pageNumber"] == 1
    moved = ok(api.put(f"/ocr-invoice-job-pages/{one['_id']}", json=writable(one, job=second["_id"], pageNumber=5)))
    assert (moved["job"], moved["pageNumber"]) == (second["_id"], 5)
    assert [p["pageNumber"] for p in pages_of(api, first["_id"])] == [2]
    assert [p["pageNumber"] for p in pages_of(api, second["_id"])] == [1, 5]
    assert ok(api.get(f"/ocr-invoice-jobs/{first['_id']}"))["pageCount"] == 1
    assert ok(api.get(f"/ocr-invoice-jobs/{second['_id']}"))["pageCount"] == 2


# -- listing ---------------------------------------------------------------------------------------------------

WORDS = ["ALPHA", "BRAVO", "ZEBRA", "DELTA", "ECHO"]


@pytest.fixture(scope="module")
def recognised(api: httpx.Client) -> dict[str, Any]:
    """A job of six pages made through the API and processed: five recognised (one word each, widths 800
    to 1200 pixels), the sixth failed (not an image). Plus a second job, so that filters must hold."""
    job = new_job(api, name="listing", metadata={"purpose": "listing"})
    pages = [
        new_page(
            api,
            job["_id"],
            i,
            data_url(text_png([f"Invoice {word} {1000 + i}", "Total 12.50 EUR"], width=700 + 100 * i)),
        )
        for i, word in enumerate(WORDS, start=1)
    ]
    pages.append(new_page(api, job["_id"], 6, BROKEN_URL))
    other = new_job(api, name="listing other")
    new_page(api, other["_id"], 2, data_url(text_png(["Invoice OTHER 2002"])))
    done = wait_job(api, job["_id"])
    wait_job(api, other["_id"])
    return {"job": done, "ids": [p["_id"] for p in pages], "other": other}


def page_list(api: httpx.Client, job_id: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    conditions = {"job": job_id} | json.loads(params.pop("filter", "{}"))
    return listed(api.get("/ocr-invoice-job-pages", params={"filter": json.dumps(conditions)} | params))


def test_the_listing_job_was_processed(api: httpx.Client, recognised: dict[str, Any]) -> None:
    job = recognised["job"]
    assert job["status"] == "completed", job["errorLog"]
    assert (job["pageCount"], job["pagesCompleted"], job["pagesFailed"], job["progress"]) == (6, 5, 1, 100)
    assert job["errorLog"].startswith("page 6:")
    failed = ok(api.get(f"/ocr-invoice-job-pages/{recognised['ids'][5]}"))
    assert failed["status"] == "failed" and failed["retryCount"] == 0 and failed["errorLog"]
    assert failed["completedAt"] is not None


def test_total_counts_all_matches_and_limit_offset_page_through_without_overlap(
    api: httpx.Client, recognised: dict[str, Any]
) -> None:
    job_id = recognised["job"]["_id"]
    data, total = page_list(api, job_id)
    assert (len(data), total) == (6, 6)
    seen: list[str] = []
    for offset in (0, 2, 4, 6):
        data, total = page_list(api, job_id, limit=2, offset=offset, sort="pageNumber", order="asc")
        assert total == 6
        assert len(data) == (2 if offset < 6 else 0)
        assert [p["pageNumber"] for p in data] == list(range(offset + 1, min(offset + 3, 7)))
        seen += [p["_id"] for p in data]
    assert sorted(seen) == sorted(recognised["ids"]) and len(set(seen)) == 6
    # an offset past the end keeps the total
    assert page_list(api, job_id, offset=50) == ([], 6)
    # limit 100 is allowed; default limit is 50
    assert page_list(api, job_id, limit=100)[1] == 6


def test_sort_and_order(api: httpx.Client, recognised: dict[str, Any]) -> None:
    job_id = recognised["job"]["_id"]
    assert [p["pageNumber"] for p in page_list(api, job_id, sort="pageNumber", order="asc")[0]] == [1, 2, 3, 4, 5, 6]
    assert [p["pageNumber"] for p in page_list(api, job_id, sort="pageNumber", order="desc")[0]] == [6, 5, 4, 3, 2, 1]
    assert [p["pageNumber"] for p in page_list(api, job_id, sort="pageNumber")[0]] == [6, 5, 4, 3, 2, 1], "default desc"
    created = [p["createdAt"] for p in page_list(api, job_id, sort="createdAt", order="asc")[0]]
    assert created == sorted(created) and created[0] < created[-1]
    created_desc = [p["createdAt"] for p in page_list(api, job_id, sort="createdAt", order="desc")[0]]
    assert created_desc == sorted(created_desc, reverse=True)
    default = [p["_id"] for p in page_list(api, job_id)[0]]
    assert default == [p["_id"] for p in page_list(api, job_id, sort="createdAt", order="desc")[0]]
    # a field inside the document (JSON path), as a number not as text: 800 < 1000 < 1200
    widths = [
        p["imageProperties"]["width"] for p in page_list(api, job_id, sort="imageProperties.width", order="asc")[0]
    ]
    assert widths == [0, 800, 900, 1000, 1100, 1200]


@pytest.mark.parametrize(
    ("condition", "numbers"),
    [
        ({"pageNumber": 3}, [3]),
        ({"pageNumber": {"$eq": 3}}, [3]),
        ({"pageNumber": {"$in": [2, 4, 9]}}, [2, 4]),
        ({"pageNumber": {"$nin": [2, 4]}}, [1, 3, 5, 6]),
        ({"pageNumber": {"$gte": 2, "$lte": 4}}, [2, 3, 4]),
        ({"pageNumber": {"$gt": 2, "$lt": 4}}, [3]),
        ({"pageNumber": {"$ne": 1}}, [2, 3, 4, 5, 6]),
        ({"status": "failed"}, [6]),
        ({"status": {"$in": ["completed", "processing"]}}, [1, 2, 3, 4, 5]),
        ({"status": {"$in": ["failed"]}, "pageNumber": {"$gte": 1}}, [6]),
        ({"status": {"$ne": "completed"}}, [6]),
        ({"imageProperties.width": {"$gte": 1000}}, [3, 4, 5]),
        ({"imageProperties.colorSpace": "grayscale"}, [1, 2, 3, 4, 5]),
        ({"ocrResults.confidence": {"$gt": 0.3}}, [1, 2, 3, 4, 5]),
        ({"preprocessing.binarized": False}, [1, 2, 3, 4, 5, 6]),
        ({"errorLog": {"$ne": ""}}, [6]),
        (
            {"retryCount": 0, "pageType": {"$in": ["cover", "header", "content", "footer", "summary", "attachment"]}},
            [1, 2, 3, 4, 5, 6],
        ),
        ({"completedAt": {"$exists": True}}, [1, 2, 3, 4, 5, 6]),
        ({"startedAt": {"$gte": "2000-01-01T00:00:00Z"}}, [1, 2, 3, 4, 5, 6]),
        ({"createdAt": {"$lt": "2000-01-01T00:00:00Z"}}, []),
    ],
)
def test_filter(api: httpx.Client, recognised: dict[str, Any], condition: dict[str, Any], numbers: list[int]) -> None:
    data, total = page_list(api, recognised["job"]["_id"], filter=json.dumps(condition), sort="pageNumber", order="asc")
    assert [p["pageNumber"] for p in data] == numbers
    assert total == len(numbers)


def test_search_finds_a_page_by_its_ocr_text(api: httpx.Client, recognised: dict[str, Any]) -> None:
    job_id = recognised["job"]["_id"]
    for term in ("ZEBRA", "zebra", "Invoice zeBRA 1003"):
        data, total = page_list(api, job_id, search=term)
        assert [p["pageNumber"] for p in data] == [3] and total == 1, term
    assert page_list(api, job_id, search="12.50")[1] == 5
    assert page_list(api, job_id, search="no such words here")[1] == 0
    # LIKE wildcards are searched for as text, not as wildcards
    assert page_list(api, job_id, search="ze%ra")[1] == 0
    assert page_list(api, job_id, search="z_bra")[1] == 0
    # across jobs, without a job filter
    data, _ = listed(api.get("/ocr-invoice-job-pages", params={"search": "OTHER 2002"}))
    assert [p["job"] for p in data] == [recognised["other"]["_id"]]
    # a job is found by its pages' text and by its metadata
    jobs, total = listed(api.get("/ocr-invoice-jobs", params={"search": "zebra"}))
    assert [j["_id"] for j in jobs] == [job_id] and total == 1
    assert job_id in [j["_id"] for j in listed(api.get("/ocr-invoice-jobs", params={"search": "listing"}))[0]]


def test_listing_jobs(api: httpx.Client, recognised: dict[str, Any]) -> None:
    ids = [recognised["job"]["_id"], recognised["other"]["_id"]]
    data, total = listed(
        api.get(
            "/ocr-invoice-jobs",
            params={"filter": json.dumps({"_id": {"$in": ids}}), "sort": "pageCount", "order": "asc"},
        )
    )
    assert [j["_id"] for j in data] == ids[::-1] and total == 2
    data, total = listed(
        api.get("/ocr-invoice-jobs", params={"filter": json.dumps({"_id": {"$in": ids}, "pagesFailed": {"$gte": 1}})})
    )
    assert [j["_id"] for j in data] == ids[:1]
    data, total = listed(api.get("/ocr-invoice-jobs", params={"limit": 1}))
    assert len(data) == 1 and total >= 2


BAD_LIST_PARAMS: list[tuple[dict[str, str], str]] = [
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"offset": "-1"}, "offset"),
    ({"order": "up"}, "order"),
    ({"order": "ASC"}, "order"),
    ({"sort": "colour"}, "sort"),
    ({"filter": "{bad json"}, "filter"),
    ({"filter": "[1, 2]"}, "filter"),
    ({"filter": '{"colour": "red"}'}, "colour"),
    ({"filter": '{"status": {"$regex": "comp"}}'}, "$regex"),
    ({"filter": '{"status": {}}'}, "status"),
    ({"filter": '{"status": "finished"}'}, "status"),
    ({"filter": '{"createdAt": {"$gt": "yesterday"}}'}, "createdAt"),
    ({"filter": '{"status": {"$in": "completed"}}'}, "$in"),
    ({"filter": '{"_id": {"$gt": "0"}}'}, "_id"),
    ({"search": "x" * 201}, "search"),
]


@pytest.mark.parametrize("resource", ["ocr-invoice-jobs", "ocr-invoice-job-pages"])
@pytest.mark.parametrize(("params", "named"), BAD_LIST_PARAMS)
def test_a_bad_list_parameter_is_400_naming_it(
    api: httpx.Client, resource: str, params: dict[str, str], named: str
) -> None:
    message = error(api.get(f"/{resource}", params=params), 400, "bad_request", named)
    parameter = next(iter(params))
    assert message.startswith(f"{parameter}:"), message


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"filter": '{"pageNumber": "1"}'}, "pageNumber"),
        ({"filter": '{"pageNumber": {"$gte": true}}'}, "pageNumber"),
        ({"filter": '{"pageNumber": {"$foo": 1}}'}, "$foo"),
        ({"filter": '{"job": {"$lt": "a"}}'}, "job"),
        ({"sort": "pageCount"}, "pageCount"),  # a job field, not a page field
    ],
)
def test_a_bad_page_filter_is_400(api: httpx.Client, params: dict[str, str], named: str) -> None:
    error(api.get("/ocr-invoice-job-pages", params=params), 400, "bad_request", named)


# -- deleting --------------------------------------------------------------------------------------------------


@pytest.mark.s3  # once more on the S3 file store (with the two below: uploads, page images, OCR, outputs, deletes)
def test_deleting_a_job_removes_its_pages_and_files(api: httpx.Client, server: Server) -> None:
    job = upload(api, ("scan.png", text_png(["Invoice HERON 5151"]), "image/png"), name="to delete")
    done = wait_job(api, job["_id"])
    assert done["status"] == "completed", done["errorLog"]
    (page,) = pages_of(api, job["_id"])
    assert page["pageUrl"].endswith(f"/api/v1/ocr-invoice-jobs/{job['_id']}/images/0001.png")
    assert api.get(page["pageUrl"]).status_code == 200
    folder = f"invoices/{job['_id']}/"
    stored = stored_names(server, folder)
    assert {f"{folder}images/0001.png", f"{folder}source/001.png"} <= set(stored)
    outputs = [name for name in stored if name.startswith(f"{folder}runs/")]  # the one run the job document names
    assert {name.rsplit("/", 1)[1] for name in outputs} == {"result.pdf", "result.txt"}
    assert len({name.split("/")[3] for name in outputs}) == 1, outputs
    assert f"{folder}ocr/{page['_id']}.json" in stored
    pdf = api.get(f"/ocr-invoice-jobs/{job['_id']}/download/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    txt = api.get(f"/ocr-invoice-jobs/{job['_id']}/download/txt")
    assert txt.status_code == 200 and "HERON" in txt.text

    ok(api.delete(f"/ocr-invoice-jobs/{job['_id']}"))
    error(api.get(f"/ocr-invoice-jobs/{job['_id']}"), 404, "not_found")
    error(api.get(f"/ocr-invoice-job-pages/{page['_id']}"), 404, "not_found")
    error(api.get(page["pageUrl"]), 404, "not_found")
    error(api.get(f"/ocr-invoice-jobs/{job['_id']}/download/pdf"), 404, "not_found")
    assert page_list(api, job["_id"]) == ([], 0)
    assert stored_names(server, folder) == []
    # a page cannot be added to the deleted job
    error(api.post("/ocr-invoice-job-pages", json=page_body(job["_id"])), 404, "not_found", "job")


@pytest.mark.s3
def test_deleting_a_page_updates_the_jobs_aggregate(api: httpx.Client, server: Server) -> None:
    job = new_job(api, name="aggregate")
    good = new_page(api, job["_id"], 1, data_url(text_png(["Invoice number 777123", "Total 10.00 EUR"])))
    bad = new_page(api, job["_id"], 2, BROKEN_URL)
    done = wait_job(api, job["_id"])
    assert (done["pageCount"], done["pagesCompleted"], done["pagesFailed"]) == (2, 1, 1)
    assert "page 2" in done["errorLog"]

    ok(api.delete(f"/ocr-invoice-job-pages/{bad['_id']}"))
    after = wait_job(api, job["_id"])
    assert (after["pageCount"], after["pagesCompleted"], after["pagesFailed"]) == (1, 1, 0)
    assert after["status"] == "completed" and after["errorLog"] == ""
    assert after["progress"] == 100

    ocr = f"invoices/{job['_id']}/ocr/{good['_id']}."
    assert stored_names(server, ocr + "png") == [ocr + "png"]
    ok(api.delete(f"/ocr-invoice-job-pages/{good['_id']}"))
    assert stored_names(server, f"invoices/{job['_id']}/ocr/") == [], "the page's OCR result is removed with it"
    empty = ok(api.get(f"/ocr-invoice-jobs/{job['_id']}"))
    assert (empty["pageCount"], empty["pagesCompleted"], empty["status"], empty["progress"]) == (0, 0, "pending", 0)
    assert empty["extractedFields"] == {} and empty["qualityScore"] == 0


# -- line-item corrections -------------------------------------------------------------------------------------

ITEMS_PAGE = [
    ("Invoice No: 4711",),
    ("Date: 03.02.2024",),
    (),
    ("Description", "Qty", "Unit price", "Amount"),
    ("Paper A4", "2", "4.50", "9.00"),
    ("Toner black", "1", "60.00", "60.00"),
    ("Stapler", "3", "5.00", "15.00"),
    (),
    ("Subtotal", "", "", "84.00"),
    ("Total", "", "", "84.00"),
]


def test_a_line_item_is_corrected_by_annotation_and_restored_without_it(api: httpx.Client) -> None:
    job = new_job(api, name="line items")
    page = new_page(api, job["_id"], 1, data_url(table_png(ITEMS_PAGE)))
    done = wait_job(api, job["_id"])
    engine = done["lineItems"]
    assert [(i["description"], i["quantity"], i["amount"]) for i in engine] == [
        ("Paper A4", "2", "9.00"),
        ("Toner black", "1", "60.00"),
        ("Stapler", "3", "15.00"),
    ]
    assert ("lineItemsSum", True, "84.00", "84.00") in [
        (c["name"], c["passed"], c["expected"], c["found"]) for c in done["checks"]
    ]
    page = ok(api.get(f"/ocr-invoice-job-pages/{page['_id']}"))

    notes = [
        {"type": "correction", "field": "lineItems[1].amount", "text": "1.234,50 €", "createdBy": "clerk"},
        {"type": "correction", "field": "lineItems[2].quantity", "text": " 4 "},
        {"type": "correction", "field": "lineItems[0].description", "text": "Paper  A3"},
    ]
    corrected = ok(api.put(f"/ocr-invoice-job-pages/{page['_id']}", json=writable(page, annotations=notes)))
    assert [(a["field"], a["text"]) for a in corrected["annotations"]] == [(n["field"], n["text"]) for n in notes]
    assert corrected["extractedFields"] == page["extractedFields"], "a line item's correction is no field's"
    job_now = ok(api.get(f"/ocr-invoice-jobs/{job['_id']}"))
    items = job_now["lineItems"]
    assert [(i["description"], i["quantity"], i["amount"]) for i in items] == [
        ("Paper A3", "2", "9.00"),
        ("Toner black", "1", "1234.50"),
        ("Stapler", "4", "15.00"),
    ]
    second = items[1]
    assert (second["source"], second["correctedColumns"], second["correctedBy"]) == ("correction", ["amount"], "clerk")
    assert second["correctedAt"] == corrected["annotations"][0]["createdAt"]
    assert second["original"] == engine[1]
    # the checks add up the corrected amounts: 9.00 + 1234.50 + 15.00
    sums = [c for c in job_now["checks"] if c["name"] == "lineItemsSum"]
    assert [(c["passed"], c["expected"], c["found"]) for c in sums] == [(False, "84.00", "1258.50")]
    assert [j["_id"] for j in listed(api.get("/ocr-invoice-jobs", params={"search": "paper a3"}))[0]] == [job["_id"]]

    # refused, naming the annotation at fault; the page keeps its corrections
    for field, text, named in (
        ("lineItems[0].price", "1", "annotations.3.field: 'lineItems[0].price' is not a line item's column"),
        ("lineItems[3].amount", "1", "annotations.3.field: lineItems[3].amount: page 1 has 3 line items"),
        ("lineItems[0].amount", "twelve", "annotations.3.text: lineItems[0].amount: 'twelve' is not a number"),
    ):
        more = [*corrected["annotations"], {"type": "correction", "field": field, "text": text}]
        error(
            api.put(f"/ocr-invoice-job-pages/{page['_id']}", json=writable(page, annotations=more)),
            422,
            "validation_error",
            named,
        )
    assert ok(api.get(f"/ocr-invoice-job-pages/{page['_id']}"))["annotations"] == corrected["annotations"]

    # without the annotations: the engine's items again, and their sum holds
    ok(api.put(f"/ocr-invoice-job-pages/{page['_id']}", json=writable(page, annotations=[])))
    restored = ok(api.get(f"/ocr-invoice-jobs/{job['_id']}"))
    assert restored["lineItems"] == engine
    assert restored["checks"] == done["checks"]


# -- users -----------------------------------------------------------------------------------------------------

ALICE = ("alice", "alice-secret")
BOB = ("bob", "bob-secret-pw")
ROOT = ("root", "root-secret-pw")


@pytest.fixture(scope="module")
def auth_server(
    request: pytest.FixtureRequest, server: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server with authentication on, on the same kind of database as `server`, with alice, bob and root (admin)."""
    database = "postgres" if "postgresql" in server.env.get("OCRMILL_DATABASE_URL", "") else "sqlite"
    url = request.getfixturevalue("postgres").new_database() if database == "postgres" else ""
    srv = Server(
        tmp_path_factory.mktemp(f"invoice-auth-{database}"),
        database_url=url,
        env={"OCRMILL_AUTH": "true", "OCRMILL_JOBS_THREADS": "1"},
    )
    with running(srv):

        def add(user: tuple[str, str], admin: bool = False) -> None:
            result = srv.ocrmill(
                "users", "add", user[0], *(["--admin"] if admin else []), "--password-stdin", input=f"{user[1]}\n"
            )
            assert result.returncode == 0, result.stderr

        with ThreadPoolExecutor(3) as pool:
            for done in [pool.submit(add, ALICE), pool.submit(add, BOB), pool.submit(add, ROOT, True)]:
                done.result()
        yield srv


def test_without_credentials_the_invoice_api_answers_401_in_its_error_shape(auth_server: Server) -> None:
    with v1(auth_server) as anonymous:
        for method, path in [
            ("GET", "/ocr-invoice-jobs"),
            ("POST", "/ocr-invoice-jobs"),
            ("GET", "/ocr-invoice-job-pages"),
            ("GET", f"/ocr-invoice-job-pages/{UNKNOWN_ID}"),
        ]:
            response = anonymous.request(method, path, json={})
            error(response, 401, "unauthorized")
            assert response.headers["WWW-Authenticate"].startswith("Basic")
    with v1(auth_server, auth=("alice", "wrong")) as wrong:
        error(wrong.get("/ocr-invoice-jobs"), 401, "unauthorized")


def test_a_user_does_not_see_another_users_invoice_jobs_and_pages(auth_server: Server) -> None:
    with v1(auth_server, auth=ALICE) as alice, v1(auth_server, auth=BOB) as bob, v1(auth_server, auth=ROOT) as root:
        mine = upload(alice, ("alice.png", text_png(["Invoice PELICAN 8181"]), "image/png"), name="alice's")
        assert mine["createdBy"] == "alice"
        assert wait_job(alice, mine["_id"])["status"] == "completed"
        (page,) = pages_of(alice, mine["_id"])
        noted = ok(
            alice.put(
                f"/ocr-invoice-job-pages/{page['_id']}",
                json=writable(page, annotations=[{"type": "comment", "text": "hi"}]),
            )
        )
        assert noted["annotations"][0]["createdBy"] == "alice", "createdBy defaults to the user"
        bobs = new_job(bob, name="bob's")
        assert bobs["createdBy"] == "bob"

        job_id, page_id = mine["_id"], page["_id"]
        error(bob.get(f"/ocr-invoice-jobs/{job_id}"), 404, "not_found")
        error(bob.put(f"/ocr-invoice-jobs/{job_id}", json={"name": "mine now"}), 404, "not_found")
        error(bob.delete(f"/ocr-invoice-jobs/{job_id}"), 404, "not_found")
        error(bob.get(f"/ocr-invoice-jobs/{job_id}/download/json"), 404, "not_found")
        error(bob.get(f"/ocr-invoice-jobs/{job_id}/download/pdf"), 404, "not_found")
        error(bob.get(f"/ocr-invoice-jobs/{job_id}/images/0001.png"), 404, "not_found")
        error(bob.get(f"/ocr-invoice-job-pages/{page_id}"), 404, "not_found")
        error(bob.put(f"/ocr-invoice-job-pages/{page_id}", json=writable(page, job=bobs["_id"])), 404, "not_found")
        error(bob.delete(f"/ocr-invoice-job-pages/{page_id}"), 404, "not_found")
        error(bob.post("/ocr-invoice-job-pages", json=page_body(job_id)), 404, "not_found", "job")
        # nor may bob have alice's page image recognised as his own page
        error(
            bob.post("/ocr-invoice-job-pages", json=page_body(bobs["_id"], pageUrl=page["pageUrl"])),
            404,
            "not_found",
            "pageUrl",
        )
        # lists leave alice's out, also when asked for by id or by text
        assert [j["_id"] for j in listed(bob.get("/ocr-invoice-jobs"))[0]] == [bobs["_id"]]
        assert listed(bob.get("/ocr-invoice-jobs", params={"filter": json.dumps({"_id": job_id})}))[1] == 0
        assert listed(bob.get("/ocr-invoice-job-pages"))[1] == 0
        assert listed(bob.get("/ocr-invoice-job-pages", params={"search": "pelican"}))[1] == 0
        assert listed(bob.get("/ocr-invoice-job-pages", params={"filter": json.dumps({"job": job_id})}))[1] == 0
        # alice sees hers only; the admin sees everyone's
        assert [j["_id"] for j in listed(alice.get("/ocr-invoice-jobs"))[0]] == [job_id]
        assert [p["_id"] for p in listed(alice.get("/ocr-invoice-job-pages", params={"search": "pelican"}))[0]] == [
            page_id
        ]
        assert {j["_id"] for j in listed(root.get("/ocr-invoice-jobs"))[0]} >= {job_id, bobs["_id"]}
        assert ok(root.get(f"/ocr-invoice-job-pages/{page_id}"))["_id"] == page_id
        # alice's job is untouched by bob's attempts
        assert ok(alice.get(f"/ocr-invoice-jobs/{job_id}"))["name"] == "alice's"
        assert ok(alice.get(f"/ocr-invoice-job-pages/{page_id}"))["job"] == job_id


def test_openapi_describes_the_bodies_the_routes_read(server: Server) -> None:
    spec = httpx.get(f"http://127.0.0.1:{server.port}/openapi.json").json()
    page = spec["paths"]["/api/v1/ocr-invoice-job-pages"]["post"]["requestBody"]["content"]["application/json"]
    properties = page["schema"]["properties"]
    assert properties["pageNumber"]["minimum"] == 1
    assert "cover" in properties["pageType"]["anyOf"][0]["enum"]
    annotation = properties["annotations"]["items"]["properties"]
    assert "correction" in annotation["type"]["enum"]
    job = spec["paths"]["/api/v1/ocr-invoice-jobs"]["post"]["requestBody"]["content"]
    assert set(job) == {"application/json", "multipart/form-data"}
    assert "$defs" not in str(spec)
