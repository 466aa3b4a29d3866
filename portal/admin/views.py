from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.admin import bp
from portal.admin.forms import StaffUserForm
from portal.admin.operations import StaffUserError, create_staff_user
from portal.extensions import db
from portal.models import Agency, User
from portal.permissions import ADMIN, permission


@bp.route("/users")
@permission(ADMIN)
def users():
    staff = db.session.scalars(
        select(User).where(User.staff_role.is_not(None)).order_by(User.username)
    )
    return render_template("admin/users.html", users=list(staff))


@bp.route("/users/new", methods=["GET", "POST"])
@permission(ADMIN)
def new_user():
    form = StaffUserForm()
    form.agency_id.choices = [
        SelectChoice(str(agency.id), agency.name)
        for agency in db.session.scalars(select(Agency).order_by(Agency.code))
    ]
    if form.validate_on_submit():
        try:
            user = create_staff_user(
                username=form.username.data,
                display_name=form.display_name.data.strip(),
                staff_role=form.staff_role.data,
                agency_id=form.agency_id.data,
                password=form.password.data,
                actor=current_user,
            )
        except StaffUserError:
            form.username.errors.append(_("That username is taken. Choose another"))
        else:
            flash(_("Account %(username)s created.", username=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/new_user.html", form=form)
