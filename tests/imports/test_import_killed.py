"""An import killed half-way (SIGKILL, after a chunk of employers was written) leaves no row of
the file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

from portal.core.extensions import db
from portal.features.imports.kinds import KINDS, deferral_list
from portal.models import Agency, Employer, PoolingRegion
from tests.conftest import IS_POSTGRES
from tests.factories import credit_code

REPO = Path(__file__).resolve().parents[2]
#: Batches read before the kill. Each batch is reported once staged; a chunk is compared and
#: written after its last batch (inline on SQLite; on PostgreSQL by the worker, which is at most
#: LIST_BATCHES_AHEAD jobs behind). Two chunks' worth of batches read: the first chunk's
#: employers are written (in the transaction, not committed) when the process is killed.
CHUNK_BATCHES = deferral_list.LIST_CHUNK_ROWS // KINDS["list"].batch_rows
assert deferral_list.LIST_BATCHES_AHEAD <= CHUNK_BATCHES
BATCHES_READ = 2 * CHUNK_BATCHES


def _database(make, tmp_path, database_url) -> str:
    if IS_POSTGRES:
        make.agency(make.region("liaocheng-2022"), code="LC01")
        make.commit()
        return database_url
    url = f"sqlite:///{tmp_path / 'killed.sqlite'}"
    engine = create_engine(url)
    db.metadata.create_all(engine)
    with engine.begin() as connection:
        region = connection.execute(
            insert(PoolingRegion).values(code="371500", name="聊城", province="山东省")
        ).inserted_primary_key[0]
        connection.execute(insert(Agency).values(code="LC01", name="聊城", region_id=region))
    engine.dispose()
    return url


def test_an_import_killed_half_way_leaves_nothing(app, make, tmp_path, database_url):
    url = _database(make, tmp_path, database_url)
    path = tmp_path / "list.csv"
    with path.open("w", encoding="utf-8") as file:
        file.write(
            "统一社会信用代码,单位名称,医保单位编号,医保经办机构代码,企业划型,是否纳入缓缴名单\n"
        )
        for i in range(KINDS["list"].batch_rows * (BATCHES_READ + 1)):
            file.write(f"{credit_code(serial=900_000 + i)},企业{i},U{i},LC01,小型,是\n")
    env = {**os.environ, "PORTAL_ENV": "development", "DATABASE_URL": url}
    env.pop("TEST_DATABASE_URL", None)
    process = subprocess.Popen(  # noqa: S603 - the project's own command
        [sys.executable, "-m", "flask", "--app", "wsgi", "portal", "import", "list", str(path)],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    written = 0
    assert process.stderr is not None
    for line in process.stderr:
        if "rows read" in line:
            written += 1
            if written == BATCHES_READ:
                break
    process.kill()
    process.wait(timeout=30)
    process.stderr.close()
    assert written == BATCHES_READ, "the import finished or failed before it could be killed"
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Employer)).scalar() == 0
        if IS_POSTGRES:  # rows were written (the table's pages), and none of them is there
            size = connection.scalar(text("SELECT pg_relation_size('employers')"))
            assert size > 0
    engine.dispose()
