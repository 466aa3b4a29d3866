"""The benchmark's floor: a bare Flask page, independent of the portal (issue 17).

What any signed-in page of any Flask app must do, and nothing more: read Flask's signed session
cookie, run one indexed SELECT of 50 rows through SQLAlchemy Core on the portal's database,
and render them through an autoescaped Jinja template compiled once, about 10 KB of HTML.
bench/bench_pages.py serves it with the same gunicorn settings as the portal, in the same run,
and states every page's throughput as a ratio to it.

    FLOOR_DATABASE_URL=sqlite:///bench.sqlite FLOOR_SECRET_KEY=... gunicorn bench.floor_app:app

``/sign-in`` sets the session (the benchmark's clients call it once); ``/`` is the floor page.
"""

from __future__ import annotations

import os

from flask import Flask, abort, session
from jinja2 import Environment, select_autoescape
from sqlalchemy import bindparam, create_engine, text

PAGE = Environment(autoescape=select_autoescape(default=True)).from_string(
    """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>雇主 — {{ user }}</title></head>
<body>
<header><p>已登录：{{ user }}</p>
<nav><a href="/">首页</a> · <a href="/review/">待审核的申请</a> · <a href="/imports/">导入文件</a>
 · <a href="/reports/tax-list">税务部门缓缴清单</a>
 · <a href="/reports/monthly">每月缓缴报告</a></nav>
</header>
<main>
<h1>单位</h1>
<table>
<thead><tr><th>名称</th><th>统一社会信用代码</th><th>参保单位编号</th><th>行业</th><th>规模</th>
<th>清单</th></tr></thead>
<tbody>
{% for row in rows %}<tr class="row"><td><a href="/e/{{ row.id }}/">{{ row.name }}</a></td>
<td>{{ row.credit_code }}</td><td>{{ row.insurance_unit_number or "—" }}</td>
<td>{{ row.industry }}</td><td>{{ row.size_class }}</td>
<td>{{ "在清单内" if row.list_status == "listed" else "不在清单内" }}</td></tr>
{% endfor %}
</tbody>
</table>
</main>
<footer><p><a href="/halls">服务大厅：地址和电话</a></p>
<p>政策：鲁医保发〔2022〕21号、聊医保发〔2022〕39号、江苏省实施方案、内医保办发〔2022〕19号、乌医保办发〔2022〕45号。</p></footer>
</body>
</html>
"""
)
# The employers' name index (ix_employers_name) serves the order and the limit.
ROWS = text(
    "SELECT id, name, credit_code, insurance_unit_number, industry, size_class, list_status "
    "FROM employers "
    "WHERE name >= :after ORDER BY name LIMIT 50"
).bindparams(bindparam("after"))

app = Flask(__name__)
app.secret_key = os.environ["FLOOR_SECRET_KEY"]
_url = os.environ["FLOOR_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
engine = create_engine(_url)


@app.get("/sign-in")
def sign_in():
    session["user"] = "floor"
    return "signed in"


@app.get("/")
def page():
    user = session.get("user")
    if user is None:
        abort(403)
    with engine.connect() as connection:
        rows = connection.execute(ROWS, {"after": ""}).all()
    return PAGE.render(user=user, rows=rows)
