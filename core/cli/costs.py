"""``python -m core costs …``: what was spent (``summary``), budgets (``budget show|set``) and
the price table (``prices list|set|preview|reprice``; admins set, preview and re-price).
Plans and credits: ``core.cli.plans`` and ``core.cli.credits``."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy.orm import Session

from core import budgets, costs, ledger
from core.ledger import prices
from core.platform.access import Actor
from core.platform.errors import ValidationError
from core.cli import command_help, user_id_of


def _money(value: Decimal | None) -> str:
    return "-" if value is None else ledger.usd_text(value)


def _summary(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    found = costs.report(session, actor, args.period, everyone=args.all)
    by = costs.Breakdown(args.by)
    lines = found.lines(by)
    if args.json:
        print(json.dumps({
            "period": found.period.value, "since": found.since.isoformat(),
            "until": found.until.isoformat(), "total_usd": str(found.total_usd),
            "unpriced_rows": found.unpriced_rows, "by": args.by,
            "lines": [{"group": line.group, "cost_usd": str(line.cost_usd),
                       "quantity": str(line.quantity) if by is costs.Breakdown.KIND else None,
                       "unpriced_rows": line.unpriced} for line in lines],
            "forecast": None if found.forecast is None else {
                "month_end_usd": str(found.forecast.month_end_usd),
                "monthly_budget_usd": None if found.forecast.monthly_budget_usd is None
                else str(found.forecast.monthly_budget_usd),
                "crosses_on": found.forecast.crosses_on.isoformat()
                if found.forecast.crosses_on else None}}, indent=2))
        return
    print(f"{found.since} to {found.until} (UTC, end excluded): {_money(found.total_usd)}"
          + (f" ({found.unpriced_rows} unpriced rows not counted)" if found.unpriced_rows else ""))
    for line in lines:
        unpriced = f"  ({line.unpriced} unpriced)" if line.unpriced else ""
        print(f"  {line.group:<50} {_money(line.cost_usd):>14}{unpriced}")
    if found.forecast is not None:
        f = found.forecast
        crossing = f", monthly budget {_money(f.monthly_budget_usd)} crossed on {f.crosses_on}" \
            if f.crosses_on else ""
        print(f"Month to date {_money(f.month_to_date_usd)}, forecast "
              f"{_money(f.month_end_usd)}{crossing}")


def _budget_show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    found = budgets.get_budget(session, actor, user_id_of(session, args.for_user))
    for spend in found.spend:
        print(f"{spend.period.value:<8} limit {_money(spend.limit_usd):>12}  spent "
              f"{_money(spend.spent_usd)} since {spend.start}")
    print(f"alerts at {', '.join(f'{t} %' for t in found.thresholds)}; "
          f"auto-stop {'on' if found.auto_stop else 'off'}")


def _budget_set(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    budgets.set_budget(session, actor, user_id_of(session, args.for_user), daily=args.daily,
                       weekly=args.weekly, monthly=args.monthly,
                       thresholds=[t for t in args.alerts.split(",") if t.strip()],
                       auto_stop=not args.no_stop)
    print("Budget saved.")


def _prices_list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    now = datetime.now(timezone.utc)
    for p in prices.list_prices(session, None if args.history else now):
        until = p.effective_until.date() if p.effective_until else "open"
        print(f"{p.kind.value:<24} {p.provider or '*':<11} {p.model_pattern:<36} "
              f"${p.usd.normalize():f} per {p.per:,}  {p.effective_from.date()} → {until}")


def _date(text: str) -> datetime:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return found if found.tzinfo else found.replace(tzinfo=timezone.utc)


def _prices_set(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    new = _new_price(args)
    row = prices.set_price(session, actor, new, source=args.source)
    print(f"{row.kind.value} {row.provider} {row.model_pattern}: ${row.usd} per {row.per:,} "
          f"from {row.effective_from.isoformat()} (recorded costs unchanged)")
    since, until = _month_so_far()
    _print_preview(prices.preview(session, actor, new, since, until), new, since, until)
    print(f"To charge the new price to a past period: python -m core costs prices reprice "
          f"{row.kind.value} --since YYYY-MM-DD --until YYYY-MM-DD")


def _new_price(args: argparse.Namespace) -> prices.NewPrice:
    return prices.read_new_price(args.kind, args.usd, provider=args.provider,
                                 model_pattern=args.model, per=args.per,
                                 effective_from=getattr(args, "start", None))


def _month_so_far() -> tuple[datetime, datetime]:
    now = datetime.now(timezone.utc)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0), now


def _print_preview(shown: prices.Preview, new: prices.NewPrice, since: datetime,
                   until: datetime) -> None:
    unpriced = f", {shown.unpriced_rows:,} of them unpriced" if shown.unpriced_rows else ""
    change = shown.difference
    print(f"Preview, {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC: {shown.rows:,} "
          f"ledger rows of {new.kind.value} ({shown.quantity.normalize():,f} units{unpriced}) cost "
          f"{_money(shown.recorded_usd)} as recorded; at ${new.usd} per {new.per:,} they would "
          f"cost {_money(shown.new_usd)} ({'+' if change >= 0 else '-'}{_money(abs(change))}).")


def _prices_preview(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    new = _new_price(args)
    default_since, now = _month_so_far()
    since, until = args.since or default_since, args.until or now
    _print_preview(prices.preview(session, actor, new, since, until), new, since, until)
    print("Nothing was changed.")


def _prices_reprice(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    changed = prices.reprice(session, actor, args.kind, args.since, args.until,
                             provider=args.provider)
    print(f"Re-priced {changed:,} ledger rows of {args.kind} from {args.since:%Y-%m-%d %H:%M} to "
          f"{args.until:%Y-%m-%d %H:%M} UTC at the prices in force then (see the audit log).")


def _price_arguments(p: argparse.ArgumentParser) -> None:
    """The price a ``set`` or a ``preview`` is about (read by ``_new_price``)."""
    p.add_argument("kind", choices=[k.value for k in prices.PriceKind])
    p.add_argument("usd", help="USD per --per units")
    p.add_argument("--per", default="1", help="units the price is for (default 1)")
    p.add_argument("--provider", default="",
                   help="model provider (model kinds; default: every provider)")
    p.add_argument("--model", default="", help="model-name pattern (model kinds)")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    grp = commands.add_parser("costs", help=command_help("costs"),
                              description="What was spent, budgets, and the price table.")
    actions = grp.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("summary", help="totals over a period")
    p.add_argument("--period", default="month", choices=[x.value for x in costs.Period],
                   help="today, this week, this month (default) or the last 30 days (UTC)")
    p.add_argument("--by", default=costs.Breakdown.KIND.value,
                   choices=[b.value for b in costs.Breakdown],
                   help="one line per kind of cost (default), job, model or user (user: "
                   "with --all)")
    p.add_argument("--all", action="store_true", help="every user's costs (admins)")
    p.add_argument("--json", action="store_true",
                   help="print JSON")
    p.set_defaults(handler=_summary)
    budget = actions.add_parser("budget", help="show or set a budget")
    steps = budget.add_subparsers(dest="step", required=True, metavar="STEP")
    p = steps.add_parser("show", help="limits, what was spent this day, week and month, "
                         "alert thresholds and auto-stop")
    p.add_argument("--for", dest="for_user", metavar="EMAIL", help="another user (admins)")
    p.set_defaults(handler=_budget_show)
    p = steps.add_parser("set", help="set daily/weekly/monthly limits in USD (omit: no limit)")
    p.add_argument("--daily", metavar="USD", help="limit per day, UTC (omit: none)")
    p.add_argument("--weekly", metavar="USD",
                   help="limit per week, Monday to Sunday, UTC (omit: none)")
    p.add_argument("--monthly", metavar="USD", help="limit per calendar month, UTC (omit: none)")
    p.add_argument("--alerts", default="50,80,100", help="thresholds in %% (default 50,80,100)")
    p.add_argument("--no-stop", action="store_true", help="alert only; never stop work")
    p.add_argument("--for", dest="for_user", metavar="EMAIL", help="another user (admins)")
    p.set_defaults(handler=_budget_set)
    price = actions.add_parser("prices", help="list or set prices")
    steps = price.add_subparsers(dest="step", required=True, metavar="STEP")
    p = steps.add_parser("list", help="the prices in force now (--history: every row)")
    p.add_argument("--history", action="store_true", help="every row, not only those in force")
    p.set_defaults(handler=_prices_list)
    p = steps.add_parser("set", help="a new price from a date (admins)")
    _price_arguments(p)
    p.add_argument("--from", dest="start", type=_date, default=None, help="default: now")
    p.add_argument("--source", default="",
                   help="where the price comes from (default: set by you)")
    p.set_defaults(handler=_prices_set)
    p = steps.add_parser("preview", help="what a period would cost at a price; changes nothing "
                         "(admins)")
    _price_arguments(p)
    p.add_argument("--since", type=_date, default=None, help="default: the 1st of this month")
    p.add_argument("--until", type=_date, default=None, help="end, excluded (default: now)")
    p.set_defaults(handler=_prices_preview)
    p = steps.add_parser("reprice", help="charge a past period the prices now in force for it, "
                         "on the record (admins)")
    p.add_argument("kind", choices=[k.value for k in prices.PriceKind])
    p.add_argument("--since", type=_date, required=True, metavar="YYYY-MM-DD",
                   help="start (UTC)")
    p.add_argument("--until", type=_date, required=True, metavar="YYYY-MM-DD",
                   help="end, excluded")
    p.add_argument("--provider", default="", help="only this provider's rows")
    p.set_defaults(handler=_prices_reprice)


__all__ = ["register", "ValidationError"]
