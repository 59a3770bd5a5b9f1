//! Conversions between PostgreSQL values and domain types, and error mapping.

use chrono::TimeDelta;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row};
use tanggap_domain::clock::{Clock, ClockKind, Measure};
use tanggap_store::StoreError;

/// Maps a database error to what the layers above can act on (the same mapping as SQLite's).
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
    row: &PgRow,
    col: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let s: String = row.try_get(col).map_err(db_err)?;
    parse(&s).ok_or_else(|| StoreError::Backend(format!("unknown code `{s}` in column {col}")))
}

pub(crate) fn code_opt<T>(
    row: &PgRow,
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

pub(crate) fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    row: &'r PgRow,
    col: &str,
) -> Result<T, StoreError> {
    row.try_get(col).map_err(db_err)
}

/// Durations are stored as whole microseconds, like timestamps (TIMESTAMPTZ's precision).
pub(crate) fn micros(d: TimeDelta) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX)
}

pub(crate) fn clock_from_row(row: &PgRow) -> Result<Clock, StoreError> {
    Ok(Clock {
        kind: code(row, "kind", ClockKind::parse)?,
        measure: code(row, "measure", Measure::parse)?,
        budget: TimeDelta::microseconds(get(row, "budget_us")?),
        started_at: get(row, "started_at")?,
        consumed: TimeDelta::microseconds(get(row, "consumed_us")?),
        running_since: get(row, "running_since")?,
        due_at: get(row, "due_at")?,
        stopped_at: get(row, "stopped_at")?,
        fired: u32::try_from(get::<i32>(row, "fired")?).unwrap_or(0),
        next_fire_at: get(row, "next_fire_at")?,
    })
}
