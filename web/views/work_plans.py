"""The performance plan (SKP) page: the owner edits and submits, the rater approves or returns,
the owner amends an approved plan; approved versions and monthly reports listed."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.request_origin import request_origin
from processes.models import Indicator, Plan, PlanResult
from processes.selectors import plans_visible_to
from processes.services.plans import plan_update_content
from workflow.engine import available_actions, may_edit

from ..actions import attempt
from .work_common import buttons, run_action, show, split_errors
from .work_months import report_months

PLAN_ACTIONS = ("submit", "approve", "return", "amend")
RESULT_FIELD = re.compile(r"^result-(\w+)-(id|title|kind|supports)$")
INDICATOR_FIELD = re.compile(r"^result-(\w+)-indicator-(\w+)-(id|description|target|aspect)$")
ERROR_KEY = re.compile(r"^results\[(\d+)\]\.(?:indicators\[(\d+)\]\.)?(\w+)$")


def rows_from_plan(plan: Plan) -> list[dict]:
    """The plan's results and indicators as the rows of the form (and of the read-only table)."""
    results = PlanResult.objects.filter(plan=plan).select_related("supports").prefetch_related("indicators")
    return [
        {
            "key": str(r.pk), "id": str(r.pk), "title": r.title, "kind": r.kind, "kind_display": r.get_kind_display(),
            "supports": str(r.supports_id or ""), "supports_title": r.supports.title if r.supports else "",
            "approved": r.approved, "errors": {},
            "indicators": [
                {"key": str(i.pk), "id": str(i.pk), "description": i.description, "target": i.target, "aspect": i.aspect,
                 "aspect_display": i.get_aspect_display(), "errors": {}}
                for i in r.indicators.all()
            ],
        }
        for r in results
    ]


def blank_row(key: str = "new0", indicator_key: str = "new0") -> dict:
    """An empty result with one empty indicator: the first row of an empty plan, and the
    template the page's script copies (with placeholder keys)."""
    return {"key": key, "id": "", "title": "", "kind": PlanResult.Kind.MAIN, "supports": "", "errors": {},
            "indicators": [{"key": indicator_key, "id": "", "description": "", "target": "",
                            "aspect": Indicator.Aspect.QUANTITY, "errors": {}}]}


def versions_of(plan: Plan) -> list[dict]:
    """The approved versions, newest first, with the labels of kinds and aspects."""
    kinds, aspects = dict(PlanResult.Kind.choices), dict(Indicator.Aspect.choices)
    return [
        {"revision": v.revision, "approved_at": v.approved_at, "approved_by": v.approved_by,
         "results": [{**r, "kind_display": kinds.get(r.get("kind"), r.get("kind")),
                      "indicators": [{**i, "aspect_display": aspects.get(i.get("aspect"), i.get("aspect"))}
                                     for i in r.get("indicators", [])]}
                     for r in (v.content or {}).get("results", [])]}
        for v in plan.versions.select_related("approved_by").order_by("-revision")
    ]


def rows_from_post(post) -> list[dict]:
    """The rows as posted, in the order of the page (a removed row is simply not posted); rows
    left wholly blank are dropped."""
    rows: dict[str, dict] = {}
    for key in post:
        if match := RESULT_FIELD.match(key):
            row = rows.setdefault(match[1], {"key": match[1], "errors": {}, "indicators": {}})
            row[match[2]] = post.get(key, "").strip()
        elif match := INDICATOR_FIELD.match(key):
            row = rows.setdefault(match[1], {"key": match[1], "errors": {}, "indicators": {}})
            indicator = row["indicators"].setdefault(match[2], {"key": match[2], "errors": {}})
            indicator[match[3]] = post.get(key, "").strip()
    result = []
    for row in rows.values():
        row["indicators"] = [
            {"id": "", "description": "", "target": "", "aspect": "", **i} for i in row["indicators"].values()
            if i.get("id") or i.get("description") or i.get("target")
        ]
        row = {"id": "", "title": "", "kind": "", "supports": "", **row}
        if row["id"] or row["title"] or row["indicators"]:
            result.append(row)
    return result


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 12 else None


def validate_rows(rows: list[dict]) -> tuple[list[dict], dict]:
    """The service's input from the rows, and errors keyed as the service keys them."""
    errors: dict[str, list] = {}
    kinds, aspects = set(PlanResult.Kind.values), set(Indicator.Aspect.values)
    results = []
    for index, row in enumerate(rows):
        where = f"results[{index}]"
        if not row["title"]:
            errors[f"{where}.title"] = [_("Give the result's title.")]
        elif len(row["title"]) > 500:
            errors[f"{where}.title"] = [_("At most %(n)s characters.") % {"n": 500}]
        if row["kind"] not in kinds:
            errors[f"{where}.kind"] = [_("Choose main or additional.")]
        if row["supports"] and _number(row["supports"]) is None:
            errors[f"{where}.supports"] = [_("Choose an approved result of your rater's plan in this cycle.")]
        if row["id"] and _number(row["id"]) is None:
            errors[f"{where}.id"] = [_("This result is not part of this plan.")]
        indicators = []
        for position, indicator in enumerate(row["indicators"]):
            at = f"{where}.indicators[{position}]"
            for field, limit in (("description", 500), ("target", 200)):
                if not indicator[field]:
                    errors[f"{at}.{field}"] = [_("This field is required.")]
                elif len(indicator[field]) > limit:
                    errors[f"{at}.{field}"] = [_("At most %(n)s characters.") % {"n": limit}]
            if indicator["aspect"] not in aspects:
                errors[f"{at}.aspect"] = [_("Choose quantity, quality or time.")]
            indicators.append({"id": _number(indicator["id"]), "description": indicator["description"],
                               "target": indicator["target"], "aspect": indicator["aspect"]})
        results.append({"id": _number(row["id"]), "title": row["title"], "kind": row["kind"],
                        "supports": _number(row["supports"]), "indicators": indicators})
    return results, errors


def attach_errors(rows: list[dict], errors: dict) -> list:
    """Each error beside its field; the others (about the whole plan) returned."""
    general = []
    for key, found in errors.items():
        match = ERROR_KEY.match(key)
        if match and int(match[1]) < len(rows):
            row = rows[int(match[1])]
            if match[2] is None:
                row["errors"].setdefault(match[3], []).extend(found)
                continue
            if int(match[2]) < len(row["indicators"]):
                row["indicators"][int(match[2])]["errors"].setdefault(match[3], []).extend(found)
                continue
        general.extend(found)
    return general


def rater_results(plan: Plan) -> tuple[bool, list[PlanResult]]:
    """Whether the rater has a plan in the cycle (else the plan cascades from the agency's
    agreement), and the rater's approved results a result may support."""
    rater_id = plan.member.rater_id
    if rater_id is None or not Plan.objects.filter(cycle_id=plan.cycle_id, employee_id=rater_id).exists():
        return False, []
    return True, list(
        PlanResult.objects.filter(plan__cycle_id=plan.cycle_id, plan__employee_id=rater_id, approved=True).order_by("order", "id")
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_detail(request, pk: int):
    plan = get_object_or_404(plans_visible_to(request.user).select_related("member__employee"), pk=pk)
    rows, errors, general = None, {}, []
    if request.method == "POST":
        op = request.POST.get("op", "")
        comment = request.POST.get("comment", "")
        if op in ("save", "save_submit"):
            rows = rows_from_post(request.POST)
            results, invalid = validate_rows(rows)
            if invalid and may_edit(plan, "edit", request.user):
                messages.error(request, _("Please correct the errors below."))
                outcome = invalid
            else:  # the service refuses a user who may not edit before it reads the rows
                outcome = attempt(
                    request,
                    lambda: plan_update_content(plan=plan, actor=request.user, results=results, origin=request_origin(request)),
                    success=_("The plan was saved."),
                )
            if outcome is None and op == "save_submit":
                run_action(request, plan, "submit", permitted=PLAN_ACTIONS)
            if not outcome:
                return redirect(request.path)
            general = attach_errors(rows, outcome)
        else:
            outcome = run_action(request, plan, op, permitted=PLAN_ACTIONS, comment=comment)
            if not outcome:
                return redirect(request.path)
            errors, general = split_errors(outcome, ("comment",))
    plan.refresh_from_db()
    return show(request, "web/work/plan_detail.html", plan, plan_page(request, plan, rows, errors, general),
                status=400 if request.method == "POST" else 200)


def plan_page(request, plan: Plan, rows, errors: dict, general: list) -> dict:
    allowed = available_actions(plan, request.user)
    owner = plan.member.employee.user_id == request.user.pk
    editing = may_edit(plan, "edit", request.user)
    in_cycle, options = rater_results(plan) if editing else (False, [])
    if rows is None:
        rows = rows_from_plan(plan)
        if editing and not rows:
            rows = [blank_row()]
    return {
        "plan": plan, "rows": rows, "editing": editing, "owner": owner, "allowed": allowed,
        "can_submit": "submit" in allowed, "rater_in_cycle": in_cycle, "support_options": options,
        "kinds": PlanResult.Kind.choices, "aspects": Indicator.Aspect.choices,
        "review_buttons": buttons(plan, allowed, ("approve", "return")),
        "amend_buttons": buttons(plan, allowed, ("amend",)),
        "errors": errors, "general_errors": general,
        "versions": versions_of(plan),
        "template_row": blank_row("__R__", "__I__"),
        "months": report_months(plan, owner=owner) if plan.revision > 0 else [],
    }
