"""The cadence reports, built from the run's staged publish (never the warehouse file) before it is
published: a report that fails keeps the previous version published (defs/publish.py)."""

import dagster as dg

from value_pipeline.config import Settings
from value_pipeline.defs.staging import STAGED_MARTS, staged_publish
from value_pipeline.registry import load_registry
from value_pipeline.reports.content import min_cases_setting
from value_pipeline.reports.hypotheses import write_hypothesis_drafts
from value_pipeline.reports.render import write_report

# (asset name, cadence, description)
REPORTS = [
    (
        "weekly_snapshot",
        "weekly",
        "Weekly dashboard snapshot for workstream leads: the latest ISO week's KPIs for the portfolio, "
        "each use case and each team, the variance alerts at week end, the weekly KPI trend against its "
        "glide path, the adoption curve and the top blockers (transitions whose median wait rose most "
        "since the baseline).",
    ),
    (
        "monthly_scorecard",
        "monthly",
        "Monthly KPI scorecard for the steering committee: the latest month of marts.kpi_scorecard for the "
        "portfolio and business units, value realised against target per use case, the pain-to-value "
        "ranking, the value chains with their intervals. Beside it hypothesis_drafts.yml: draft "
        "registry hypotheses from the ranking's top candidates, to review.",
    ),
    (
        "quarterly_summary",
        "quarterly",
        "Quarterly all-hands summary: the portfolio KPIs quarter by quarter, business units, value "
        "realised against target, the adoption curve and the value chains in plain sentences.",
    ),
]
OWNERS = ["transformation-office@example.com"]


def _report_asset(name: str, cadence: str, description: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["reports", name],
        group_name="reports",
        kinds={"html", "python"},
        owners=OWNERS,
        deps=[STAGED_MARTS],
        description=(
            f"{description} Self-contained HTML with the charts as PNGs beside it and figures.json, "
            f"which traces every figure to its published mart cell: "
            f"VALUE_PIPELINE_REPORTS/{cadence}/<period>/report.html."
        ),
    )
    def _report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = Settings.from_env()
        min_cases = min_cases_setting(load_registry(settings.landing_root).settings)
        marts_dir = staged_publish(context).folder
        written = write_report(cadence, marts_dir, settings.reports_root, min_cases)
        report = written.report
        context.log.info(f"{cadence} report {report.period_label}: {written.html}")
        extra: dict[str, dg.MetadataValue] = {}
        if cadence == "monthly":
            # Beside the report whose pain-to-value ranking they come from.
            drafts = write_hypothesis_drafts(marts_dir, written.folder)
            extra["hypothesis_drafts"] = dg.MetadataValue.path(str(drafts))
        return dg.MaterializeResult(
            metadata={
                "report": dg.MetadataValue.path(str(written.html)),
                **extra,
                "figures_json": dg.MetadataValue.path(str(written.sidecar)),
                "period": report.period_label,
                "running_period": report.running.label if report.running else "none",
                "min_cases_to_judge": min_cases,
                "period_end": report.period_end.isoformat(),
                "publish_id": written.publish_id,
                "figures": len(report.figures()),
                "headline": dg.MetadataValue.md(
                    "| figure | value | status |\n|---|---|---|\n"
                    + "\n".join(f"| {f.label} | {f.display} | {f.status or '-'} |" for f in report.headline)
                ),
                # One numeric entry per headline KPI, so the UI plots it across materializations.
                **{
                    f.key["kpi_id"]: dg.MetadataValue.float(f.value)
                    for f in report.headline
                    if isinstance(f.value, float)
                },
            }
        )

    return _report


REPORT_KEYS = [dg.AssetKey(["reports", name]) for name, _, _ in REPORTS]
defs = dg.Definitions(assets=[_report_asset(*spec) for spec in REPORTS])
