"""Moderation reads: the queue and the dashboard."""

from datetime import timedelta

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from community import moderation as registry
from community.models import AuditEntry, Case, CaseStatus
from core.visibility import Visibility


def case_list_for_queue() -> QuerySet[Case]:
    """Cases, most reported first, then oldest (the ``case_queue`` index serves open ones)."""
    return Case.objects.select_related("author").order_by("-report_count", "opened_at", "id")


def _bars(rows: list[tuple[str, int]], *, width: int = 320, bar: int = 18) -> dict:
    """A small horizontal bar chart's geometry (rendered as SVG by the template)."""
    top = max((value for _label, value in rows), default=0) or 1
    return {
        "height": bar * len(rows) + 4,
        "width": width,
        "bars": [
            {"label": label, "value": value, "y": i * bar + 2, "w": max(2, int((width - 140) * value / top))}
            for i, (label, value) in enumerate(rows)
        ],
    }


def moderation_dashboard(*, now=None) -> dict:
    """The numbers of the moderators' dashboard: open reports by kind, held items by kind,
    actions per moderator this week, the most-reported people (and a chart of the first)."""
    now = now or timezone.now()
    open_cases = Case.objects.filter(status=CaseStatus.OPEN)
    by_kind = {
        row["kind"]: row
        for row in open_cases.values("kind").annotate(cases=Count("id"), reports=Sum("report_count")).order_by("kind")
    }
    kinds = []
    for kind in registry.kinds():
        row = by_kind.get(kind.name, {})
        kinds.append(
            {
                "name": kind.name,
                "label": kind.label,
                "cases": row.get("cases", 0),
                "reports": row.get("reports", 0) or 0,
                "held": kind.model.objects.filter(visibility=Visibility.HELD).count(),
            }
        )
    week_ago = now - timedelta(days=7)
    actions = list(
        AuditEntry.objects.filter(created_at__gte=week_ago, actor__isnull=False)
        .values("actor_name")
        .annotate(n=Count("id"))
        .order_by("-n", "actor_name")[:20]
    )
    reported = list(
        Case.objects.filter(author__isnull=False)
        .values("author__username")
        .annotate(reports=Sum("report_count"), cases=Count("id"))
        .order_by("-reports", "author__username")[:10]
    )
    return {
        "kinds": kinds,
        "open_reports": sum(k["reports"] for k in kinds),
        "held_total": sum(k["held"] for k in kinds),
        "actions": actions,
        "reported_users": reported,
        "chart": _bars([(str(k["label"]), k["reports"]) for k in kinds]),
    }
