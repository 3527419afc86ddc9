"""FHIR date/dateTime strings (possibly partial) -> datetime.date."""
from __future__ import annotations

from datetime import date, datetime, timedelta


def fhir_date(value: object) -> date | None:
    if not isinstance(value, str) or len(value) < 4:
        return None
    try:
        if len(value) == 4:
            return date(int(value), 1, 1)
        if len(value) == 7:
            return date(int(value[:4]), int(value[5:7]), 1)
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def period_bounds(resource: dict, prefix: str) -> tuple[date | None, date | None]:
    """(start, end) of `<prefix>DateTime` / `<prefix>Period` on a resource."""
    single = fhir_date(resource.get(f"{prefix}DateTime"))
    if single:
        return single, single
    period = resource.get(f"{prefix}Period")
    if isinstance(period, dict):
        return fhir_date(period.get("start")), fhir_date(period.get("end"))
    return None, None


def age_years(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def add_years(d: date, years: float) -> date:
    return d + timedelta(days=round(years * 365.25))


def today_utc() -> date:
    return datetime.utcnow().date()
