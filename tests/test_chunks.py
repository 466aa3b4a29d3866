"""Files kept in the database a chunk a row (portal/core/chunks.py): read back byte for byte
whatever the reads and seeks, and written and read in memory that does not grow with the file."""

from __future__ import annotations

import io
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.core import chunks, uploads
from portal.core.extensions import db
from portal.models import UploadedFile, UploadedFileChunk
from portal.web.routing import FORM_OVERHEAD_BYTES
from tests.conftest import sign_in

# Reads and seeks as a CSV reader and an .xlsx archive make them: (read n) or (seek to, whence).
operations = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(min_value=-1, max_value=40)),
        st.tuples(
            st.just("seek"), st.integers(min_value=-60, max_value=60), st.sampled_from([0, 1, 2])
        ),
    ),
    max_size=25,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=120),
    chunk_bytes=st.integers(min_value=1, max_value=50),
    steps=operations,
)
def test_a_kept_file_reads_as_the_bytes_it_was(app, data, chunk_bytes, steps):
    name = "import-test"
    uploads.delete(name)
    db.session.add(UploadedFile(name=name, data=b""))
    with chunks.ChunkWriter(UploadedFileChunk, {"name": name}, chunk_bytes=chunk_bytes) as out:
        for start in range(0, len(data), 7):  # written in pieces that do not match the chunks
            out.write(data[start : start + 7])
    kept, expected = uploads.open_kept(name), io.BytesIO(data)
    for step in steps:
        if step[0] == "read":
            assert kept.read(step[1]) == expected.read(step[1])
        else:
            offset, whence = step[1], step[2]
            target = {0: 0, 1: expected.tell(), 2: len(data)}[whence] + offset
            if target < 0:
                continue  # BytesIO refuses a negative position; so need the kept stream not
            assert kept.seek(offset, whence) == expected.seek(offset, whence)
        assert kept.tell() == expected.tell()
    kept.seek(0)
    assert kept.read() == data
    assert b"".join(chunks.iter_chunks(UploadedFileChunk, {"name": name})) == data
    db.session.rollback()


def test_a_large_upload_is_kept_and_read_in_flat_memory(app):
    size = 12 * chunks.CHUNK_BYTES + 12345
    source = io.BytesIO(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    tracemalloc.start()
    try:
        name, kept_size = uploads.keep_stream(source)
        db.session.flush()
        stream = uploads.open_kept(name)
        total = 0
        for piece in iter(lambda: stream.read(64 * 1024), b""):
            total += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept_size == total == size
    # a chunk being written or read, and the reader's buffer: a few megabytes, not twelve
    assert peak < 5 * chunks.CHUNK_BYTES, peak
    assert db.session.scalar(db.select(db.func.count()).select_from(UploadedFileChunk)) == 13
    uploads.delete(name)
    assert db.session.scalar(db.select(db.func.count()).select_from(UploadedFileChunk)) == 0
    assert db.session.get(UploadedFile, name) is None


def test_only_the_import_page_takes_a_register_larger_than_any_other_form(app):
    from portal.features.imports.views import MAX_UPLOAD_BYTES

    with app.test_request_context("/imports/", method="POST"):
        from flask import request

        assert request.max_content_length == MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES
    for path in ("/login", "/applications/new", "/imports/1/apply"):
        with app.test_request_context(path, method="POST"):
            from flask import request

            assert request.max_content_length == app.config["MAX_CONTENT_LENGTH"]
    assert app.config["MAX_CONTENT_LENGTH"] < MAX_UPLOAD_BYTES


def test_a_body_over_the_import_pages_limit_is_refused_unread(client, make):
    from portal.features.imports.views import MAX_UPLOAD_BYTES

    agency = make.agency(make.region("liaocheng-2022"), code="LC01")
    reviewer = make.user(staff_role="reviewer", agency=agency)
    make.commit()
    sign_in(client, reviewer)
    response = client.post(
        "/imports/",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES + 1)},
    )
    assert response.status_code == 413
