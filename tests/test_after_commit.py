"""Work a request asks to do once it has committed (portal.web.hooks.after_commit): done after
the request's commit with a commit after each step it yields, never when the request rolled
back; a step that fails is rolled back and logged, and the page's answer stands."""

from __future__ import annotations

from sqlalchemy import update

from portal.core.extensions import db
from portal.models import Employer
from portal.web.hooks import after_commit


def _rename(employer_id: int, name: str) -> None:
    db.session.execute(update(Employer).where(Employer.id == employer_id).values(name=name))


def _name(employer_id: int) -> str:
    db.session.remove()  # what another request sees
    return db.session.get(Employer, employer_id).name


def test_each_step_is_committed_after_the_requests_commit(app, make, caplog):
    employer_id = make.employer(name="请求前").id
    db.session.commit()
    seen = []

    def work():
        seen.append(("request committed", not db.session().in_transaction()))
        _rename(employer_id, "第一步")
        yield
        seen.append(("step committed", not db.session().in_transaction()))
        _rename(employer_id, "第二步")
        raise RuntimeError("the second step fails")

    @app.route("/after-commit-test", methods=["POST"])
    def after_commit_test():
        _rename(employer_id, "请求中")
        after_commit(work)
        return "done"

    after_commit_test.permission = "public"
    response = app.test_client().post("/after-commit-test")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "done")
    assert seen == [("request committed", True), ("step committed", True)]
    assert _name(employer_id) == "第一步"  # the failing step rolled back, the first kept
    assert "the work after a request's commit failed" in caplog.text


def test_nothing_is_done_when_the_request_rolls_back(app, make):
    employer_id = make.employer(name="请求前").id
    db.session.commit()
    done = []

    def work():
        done.append(True)
        yield

    @app.route("/after-rollback-test", methods=["POST"])
    def after_rollback_test():
        _rename(employer_id, "请求中")
        after_commit(work)
        return "refused", 400

    after_rollback_test.permission = "public"
    assert app.test_client().post("/after-rollback-test").status_code == 400
    assert done == []
    assert _name(employer_id) == "请求前"
