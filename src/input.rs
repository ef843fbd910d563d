//! Checks and clean-up of caller input shared by the services: search text, id filters,
//! date ranges, and free text that must be stored whatever it contains.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, PaginatorTrait, Selector, SelectorTrait};

use crate::error::{CoreError, CoreResult};
use crate::ids::is_valid_id;
use crate::pagination::{Page, PageRequest};

/// Longest search text accepted; longer input is a caller error, not a slow query.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Longest date range the reports accept.
pub const MAX_RANGE_DAYS: i64 = 400;

/// Search text, trimmed; `None` when blank. NUL bytes or over-long text are `Invalid`.
pub fn search_text(field: &str, text: Option<&str>) -> CoreResult<Option<String>> {
    optional_text(field, text, MAX_SEARCH_CHARS)
}

/// An id given as a list filter: a non-id names the field (a filter is not a resource, so
/// it is not a 404). Blank means no filter.
pub fn id_filter(field: &str, id: Option<&str>) -> CoreResult<Option<String>> {
    match id.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(id) if is_valid_id(id) => Ok(Some(id.to_owned())),
        Some(_) => Err(CoreError::invalid(field, "is not a valid id")),
    }
}

/// [`id_filter`] as a condition: `column` equals the id, when one is given.
pub fn id_filter_on(
    column: impl ColumnTrait,
    field: &str,
    id: Option<&str>,
) -> CoreResult<Option<Expr>> {
    Ok(id_filter(field, id)?.map(|id| column.eq(id)))
}

/// Required text of 1..=`max_chars` characters once trimmed, without NUL bytes.
pub fn required_text(field: &str, text: &str, max_chars: usize) -> CoreResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CoreError::invalid(field, "must not be empty"));
    }
    optional_text(field, Some(text), max_chars).map(|t| t.unwrap_or_default())
}

/// Optional text of at most `max_chars` characters once trimmed, without NUL bytes.
pub fn optional_text(
    field: &str,
    text: Option<&str>,
    max_chars: usize,
) -> CoreResult<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.contains('\0') {
        return Err(CoreError::invalid(field, "must not contain NUL bytes"));
    }
    if text.chars().count() > max_chars {
        return Err(CoreError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Text we must store whatever it holds (tracebacks, paths): NUL bytes dropped, since
/// PostgreSQL refuses them in text, and cut at `max_chars` characters.
pub fn storable_text(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| *c != '\0')
        .take(max_chars)
        .collect()
}

/// Checks an optional date range of a list filter: `from` must not be after `to`.
pub fn check_optional_range(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> CoreResult<()> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => {
            Err(CoreError::invalid("from", "must not be after to"))
        }
        _ => Ok(()),
    }
}

/// The rows whose `column` lies in an optional date range of a list filter, checked as by
/// [`check_optional_range`]; each bound that is given is inclusive.
pub fn optional_range(
    column: impl ColumnTrait,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> CoreResult<Condition> {
    check_optional_range(from, to)?;
    Ok(Condition::all()
        .add_option(from.map(|from| column.gte(from)))
        .add_option(to.map(|to| column.lte(to))))
}

/// An expiry a caller sets (`expiresAt`): in the future, or none.
pub fn validate_expiry(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> CoreResult<()> {
    match expires_at {
        Some(at) if at <= now => Err(CoreError::invalid("expiresAt", "must be in the future")),
        _ => Ok(()),
    }
}

/// Which end of a plain date a bound means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayBound {
    /// 00:00:00.000 of that day, UTC.
    Start,
    /// 23:59:59.999 of that day, UTC: the last instant a stored time of that day can have.
    End,
}

/// A time typed by a caller: RFC 3339, or a plain `YYYY-MM-DD` meaning the start or the end of
/// that day in UTC. Blank or absent is `None`. The one rule for every filter, expiry and range.
pub fn parse_time(
    field: &str,
    text: Option<&str>,
    bound: DayBound,
) -> CoreResult<Option<DateTime<Utc>>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        CoreError::invalid(field, "enter a date like 2027-01-31 or an RFC 3339 time")
    })?;
    let time = match bound {
        DayBound::Start => chrono::NaiveTime::MIN,
        DayBound::End => {
            chrono::NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap_or(chrono::NaiveTime::MIN)
        }
    };
    Ok(Some(day.and_time(time).and_utc()))
}

/// A closed time range `[from, to]` for reports, at most [`MAX_RANGE_DAYS`] long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl TimeRange {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> CoreResult<Self> {
        if from > to {
            return Err(CoreError::invalid("from", "must not be after to"));
        }
        if to - from > Duration::days(MAX_RANGE_DAYS) {
            return Err(CoreError::invalid(
                "to",
                format!("the range must be at most {MAX_RANGE_DAYS} days"),
            ));
        }
        Ok(Self { from, to })
    }

    /// The UTC day or month holding `now` (`window` names it: `day` or `month`), from its first
    /// to its last millisecond: usage "per window" for the analytics and the export.
    pub fn current(window: &str, now: DateTime<Utc>) -> CoreResult<Self> {
        use abetworks_types::enums::QuotaWindow;
        use abetworks_types::Vocabulary;
        use chrono::{Datelike, Months, NaiveTime};
        let invalid = || CoreError::invalid("window", "must be day or month");
        let today = now.date_naive();
        let (first, next) = match QuotaWindow::parse_field("window", window).ok() {
            Some(QuotaWindow::Day) => (today, today.succ_opt().ok_or_else(invalid)?),
            Some(QuotaWindow::Month) => {
                let first = today.with_day(1).ok_or_else(invalid)?;
                (
                    first,
                    first
                        .checked_add_months(Months::new(1))
                        .ok_or_else(invalid)?,
                )
            }
            _ => return Err(invalid()),
        };
        Self::new(
            first.and_time(NaiveTime::MIN).and_utc(),
            next.and_time(NaiveTime::MIN).and_utc() - Duration::milliseconds(1),
        )
    }

    /// The rows whose `column` lies in the range, both ends included.
    pub fn on(&self, column: impl ColumnTrait) -> Condition {
        Condition::all()
            .add(column.gte(self.from))
            .add(column.lte(self.to))
    }

    /// The last `days` days up to now.
    pub fn last_days(days: i64) -> Self {
        let to = Utc::now();
        Self {
            from: to - Duration::days(days),
            to,
        }
    }
}

/// One page of `selector`'s rows, with the total count, in the contract's shape.
pub async fn page_of<'db, C, S>(
    db: &'db C,
    selector: Selector<S>,
    page: PageRequest,
) -> CoreResult<Page<S::Item>>
where
    C: ConnectionTrait,
    S: SelectorTrait + Send + Sync + 'db,
{
    let paginator = selector.paginate(db, page.page_size);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page.index()).await?;
    Ok(Page {
        items,
        total,
        page: page.page,
        page_size: page.page_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_search_text_means_no_filter() {
        assert_eq!(search_text("q", Some("   ")).unwrap(), None);
        assert_eq!(
            search_text("q", Some(" ab ")).unwrap().as_deref(),
            Some("ab")
        );
    }

    #[test]
    fn search_text_with_nul_bytes_or_too_long_names_the_field() {
        let nul = search_text("q", Some("a\0b"));
        assert!(matches!(nul, Err(CoreError::Invalid { field, .. }) if field == "q"));
        let long = "x".repeat(MAX_SEARCH_CHARS + 1);
        assert!(matches!(
            search_text("q", Some(&long)),
            Err(CoreError::Invalid { .. })
        ));
    }

    #[test]
    fn id_filters_that_are_not_ids_name_the_field() {
        let bad = id_filter("userId", Some("1 OR 1=1"));
        assert!(matches!(bad, Err(CoreError::Invalid { field, .. }) if field == "userId"));
        assert_eq!(id_filter("userId", None).unwrap(), None);
    }

    #[test]
    fn required_text_is_trimmed_and_bounded() {
        assert_eq!(required_text("note", "  ok ", 10).unwrap(), "ok");
        assert!(required_text("note", "   ", 10).is_err());
        assert!(required_text("note", "elevenchars", 10).is_err());
        assert!(required_text("note", "a\0", 10).is_err());
    }

    #[test]
    fn storable_text_drops_nul_bytes_and_cuts_at_the_limit() {
        assert_eq!(storable_text("a\0bcdef", 3), "abc");
    }

    #[test]
    fn ranges_that_are_inverted_or_too_long_are_invalid() {
        let now = Utc::now();
        assert!(TimeRange::new(now, now - Duration::seconds(1)).is_err());
        assert!(TimeRange::new(now - Duration::days(MAX_RANGE_DAYS + 1), now).is_err());
        assert!(TimeRange::new(now - Duration::days(MAX_RANGE_DAYS), now).is_ok());
        assert!(check_optional_range(Some(now), Some(now - Duration::days(1))).is_err());
    }
}

#[cfg(test)]
mod time_tests {
    use super::*;

    #[test]
    fn a_plain_date_is_the_start_or_the_last_instant_of_that_day() {
        let start = parse_time("from", Some("2027-01-31"), DayBound::Start)
            .unwrap()
            .unwrap();
        let end = parse_time("to", Some("2027-01-31"), DayBound::End)
            .unwrap()
            .unwrap();
        assert_eq!(start.to_rfc3339(), "2027-01-31T00:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2027-01-31T23:59:59.999+00:00");
        assert_eq!(parse_time("to", Some("  "), DayBound::End).unwrap(), None);
        assert!(matches!(
            parse_time("to", Some("31/01/2027"), DayBound::End),
            Err(CoreError::Invalid { field, .. }) if field == "to"
        ));
    }
}
