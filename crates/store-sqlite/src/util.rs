//! Conversions between SQLite values and domain types.

use chrono::{DateTime, NaiveDate, TimeDelta};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use tanggap_domain::clock::{Clock, ClockKind, Measure};
use tanggap_store::{StoreError, Timestamp};

/// ` AND {column} IN (…)` with `values` bound; an empty list matches nothing, as `IN ()` would.
pub(crate) fn push_in_texts(
    qb: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>,
    column: &str,
    values: &[String],
) {
    qb.push(format!(" AND {column} IN ("));
    if values.is_empty() {
        qb.push("NULL");
    }
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v.clone());
    }
    qb.push(")");
}

/// Timestamps are stored as microseconds since the epoch.
pub(crate) fn us(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn us_opt(t: Option<Timestamp>) -> Option<i64> {
    t.map(us)
}

pub(crate) fn ts(v: i64) -> Timestamp {
    DateTime::from_timestamp_micros(v).unwrap_or_default()
}

pub(crate) fn ts_opt(v: Option<i64>) -> Option<Timestamp> {
    v.map(ts)
}

pub(crate) fn date_opt(v: Option<String>) -> Option<NaiveDate> {
    v.and_then(|s| s.parse().ok())
}

/// Maps a database error to what the layers above can act on.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("already exists ({})", d.message()))
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Invalid("refers to something that does not exist".into())
        }
        sqlx::Error::Database(d) if d.is_check_violation() => {
            StoreError::Invalid(d.message().to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

/// Reads a code column into a domain enum, treating an unknown code as corruption.
pub(crate) fn code<T>(
    row: &SqliteRow,
    col: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    row.code(col, parse)
}

pub(crate) fn code_opt<T>(
    row: &SqliteRow,
    col: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    let s: Option<String> = row.try_get(col).map_err(db_err)?;
    match s {
        None => Ok(None),
        Some(s) => parse(&s)
            .map(Some)
            .ok_or_else(|| StoreError::Backend(format!("unknown code `{s}` in column {col}"))),
    }
}

pub(crate) fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    col: &str,
) -> Result<T, StoreError> {
    row.try_get(col).map_err(db_err)
}

/// A value both drivers read from a column.
pub(crate) trait ColumnValue:
    for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + rusqlite::types::FromSql
{
}
impl<T> ColumnValue for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + rusqlite::types::FromSql
{
}

/// A row read through `sqlx` or through SQLite's own API (the intake connection), so that one
/// mapper turns either into a domain value.
pub(crate) trait Columns {
    fn column<T: ColumnValue>(&self, name: &str) -> Result<T, StoreError>;

    /// A code column read into a domain enum, an unknown code treated as corruption.
    fn code<T>(&self, name: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
        let s: String = self.column(name)?;
        parse(&s).ok_or_else(|| StoreError::Backend(format!("unknown code `{s}` in column {name}")))
    }
}

impl Columns for SqliteRow {
    fn column<T: ColumnValue>(&self, name: &str) -> Result<T, StoreError> {
        self.try_get(name).map_err(db_err)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn column<T: ColumnValue>(&self, name: &str) -> Result<T, StoreError> {
        self.get(name)
            .map_err(|e| StoreError::Backend(e.to_string()))
    }
}

pub(crate) fn clock_from_row(row: &SqliteRow) -> Result<Clock, StoreError> {
    Ok(Clock {
        kind: code(row, "kind", ClockKind::parse)?,
        measure: code(row, "measure", Measure::parse)?,
        budget: TimeDelta::microseconds(get(row, "budget_us")?),
        started_at: ts(get(row, "started_at")?),
        consumed: TimeDelta::microseconds(get(row, "consumed_us")?),
        running_since: ts_opt(get(row, "running_since")?),
        due_at: ts_opt(get(row, "due_at")?),
        stopped_at: ts_opt(get(row, "stopped_at")?),
        fired: u32::try_from(get::<i64>(row, "fired")?).unwrap_or(0),
        next_fire_at: ts_opt(get(row, "next_fire_at")?),
    })
}
