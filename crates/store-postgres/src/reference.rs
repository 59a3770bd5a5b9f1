//! Regions, agencies, categories, holidays and the SLA policy.

use crate::audit;
use crate::util::{code, db_err, get};
use chrono::NaiveDate;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool};
use std::collections::HashSet;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::{
    Agency, AgencyKind, Category, Holiday, HolidayKind, Region, RegionLevel, SlaPolicy,
};
use tanggap_store::{HeadRecord, Result, StoreError, Timestamp};

/// Regions written per statement. The full Kemendagri list has some 90 000 rows; arrays of this
/// size keep each statement's parameters small while needing only a few round trips.
const REGION_CHUNK: usize = 5000;

pub(crate) async fn count(pool: &PgPool, table: &'static str) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .map_err(db_err)?;
    Ok(n as u64)
}

async fn audit(conn: &mut PgConnection, e: NewAuditEvent, at: Timestamp) -> Result<()> {
    audit::append(conn, e, at).await.map(|_| ())
}

/// Upserts in bulk with `UNNEST` instead of one statement per row. One statement cannot upsert
/// the same code twice, so when the input repeats a code the last one wins, as it does when the
/// rows are written one by one.
pub(crate) async fn import_regions(
    pool: &PgPool,
    regions: &[Region],
    at: Timestamp,
) -> Result<u64> {
    let mut seen = HashSet::new();
    let unique: Vec<&Region> = regions
        .iter()
        .rev()
        .filter(|r| seen.insert(r.code.as_str()))
        .collect();
    let mut tx = audit::begin(pool).await?;
    for chunk in unique.chunks(REGION_CHUNK) {
        let codes: Vec<&str> = chunk.iter().map(|r| r.code.as_str()).collect();
        let parents: Vec<Option<&str>> = chunk.iter().map(|r| r.parent_code.as_deref()).collect();
        let levels: Vec<&str> = chunk.iter().map(|r| r.level.as_str()).collect();
        let names: Vec<&str> = chunk.iter().map(|r| r.name.as_str()).collect();
        sqlx::query(
            "INSERT INTO regions (code, parent_code, level, name)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])
             ON CONFLICT (code) DO UPDATE SET parent_code = EXCLUDED.parent_code, level = EXCLUDED.level, name = EXCLUDED.name",
        )
        .bind(&codes)
        .bind(&parents)
        .bind(&levels)
        .bind(&names)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    audit(
        &mut tx,
        NewAuditEvent::new("system", "regions.imported", "regions", "all")
            .after(&serde_json::json!({ "rows": regions.len() })),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(regions.len() as u64)
}

fn region_from_row(row: &PgRow) -> Result<Region> {
    Ok(Region {
        code: get(row, "code")?,
        parent_code: get(row, "parent_code")?,
        level: code(row, "level", RegionLevel::parse)?,
        name: get(row, "name")?,
    })
}

pub(crate) async fn region(pool: &PgPool, code: &str) -> Result<Option<Region>> {
    sqlx::query("SELECT * FROM regions WHERE code = $1")
        .bind(code)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(region_from_row)
        .transpose()
}

pub(crate) async fn child_regions(pool: &PgPool, parent: Option<&str>) -> Result<Vec<Region>> {
    let rows = match parent {
        Some(p) => {
            sqlx::query("SELECT * FROM regions WHERE parent_code = $1 ORDER BY name, code")
                .bind(p)
                .fetch_all(pool)
                .await
        }
        None => {
            sqlx::query("SELECT * FROM regions WHERE parent_code IS NULL ORDER BY name, code")
                .fetch_all(pool)
                .await
        }
    }
    .map_err(db_err)?;
    rows.iter().map(region_from_row).collect()
}

fn agency_from_row(row: &PgRow) -> Result<Agency> {
    Ok(Agency {
        id: get(row, "id")?,
        name: get(row, "name")?,
        kind: code(row, "kind", AgencyKind::parse)?,
        parent_id: get(row, "parent_id")?,
        region_code: get(row, "region_code")?,
        head_name: get(row, "head_name")?,
        head_position: get(row, "head_position")?,
        head_phone: get(row, "head_phone")?,
        head_email: get(row, "head_email")?,
        active: get(row, "active")?,
    })
}

pub(crate) async fn agencies(pool: &PgPool, id: Option<&str>) -> Result<Vec<Agency>> {
    let rows = match id {
        Some(id) => {
            sqlx::query("SELECT * FROM agencies WHERE id = $1")
                .bind(id)
                .fetch_all(pool)
                .await
        }
        None => {
            sqlx::query("SELECT * FROM agencies ORDER BY id")
                .fetch_all(pool)
                .await
        }
    }
    .map_err(db_err)?;
    rows.iter().map(agency_from_row).collect()
}

async fn upsert_agency(conn: &mut PgConnection, a: &Agency) -> Result<()> {
    sqlx::query(
        "INSERT INTO agencies (id, name, kind, parent_id, region_code, head_name, head_position, head_phone, head_email, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, parent_id = EXCLUDED.parent_id,
           region_code = EXCLUDED.region_code, head_name = EXCLUDED.head_name, head_position = EXCLUDED.head_position,
           head_phone = EXCLUDED.head_phone, head_email = EXCLUDED.head_email, active = EXCLUDED.active",
    )
    .bind(&a.id)
    .bind(&a.name)
    .bind(a.kind.as_str())
    .bind(&a.parent_id)
    .bind(&a.region_code)
    .bind(&a.head_name)
    .bind(&a.head_position)
    .bind(&a.head_phone)
    .bind(&a.head_email)
    .bind(a.active)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn import_agencies(
    pool: &PgPool,
    agencies: &[Agency],
    actor: &str,
    at: Timestamp,
) -> Result<u64> {
    let mut tx = audit::begin(pool).await?;
    // Parents before children, whatever the input order: the foreign key is checked per statement.
    let mut pending: Vec<&Agency> = agencies.iter().collect();
    let mut written: HashSet<&str> = HashSet::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for a in pending {
            let parent_ready = match &a.parent_id {
                None => true,
                Some(p) => written.contains(p.as_str()) || !agencies.iter().any(|x| &x.id == p),
            };
            if parent_ready {
                upsert_agency(&mut tx, a).await?;
                written.insert(&a.id);
            } else {
                rest.push(a);
            }
        }
        if rest.len() == before {
            return Err(StoreError::Invalid("agency parents form a cycle".into()));
        }
        pending = rest;
    }
    audit(
        &mut tx,
        NewAuditEvent::new(actor, "agencies.imported", "agencies", "all")
            .after(&serde_json::json!({ "rows": agencies.len() })),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(agencies.len() as u64)
}

pub(crate) async fn update_agency(
    pool: &PgPool,
    agency: &Agency,
    actor: &str,
    at: Timestamp,
) -> Result<()> {
    let mut tx = audit::begin(pool).await?;
    let before = sqlx::query("SELECT * FROM agencies WHERE id = $1")
        .bind(&agency.id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(agency_from_row)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("agency `{}`", agency.id)))?;
    if agency.parent_id.as_deref() == Some(agency.id.as_str()) {
        return Err(StoreError::Invalid(
            "an agency cannot be its own parent".into(),
        ));
    }
    upsert_agency(&mut tx, agency).await?;
    if let Some(name) = &agency.head_name
        && (before.head_name.as_ref(), before.head_position.as_ref())
            != (agency.head_name.as_ref(), agency.head_position.as_ref())
    {
        sqlx::query(
            "INSERT INTO agency_heads (agency_id, name, position, since) VALUES ($1, $2, $3, $4)",
        )
        .bind(&agency.id)
        .bind(name)
        .bind(&agency.head_position)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    audit(
        &mut tx,
        NewAuditEvent::new(actor, "agency.updated", "agency", &agency.id)
            .before(&tanggap_store::redact::agency_change(&before, agency).0)
            .after(&tanggap_store::redact::agency_change(&before, agency).1),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)
}

fn category_from_row(row: &PgRow) -> Result<Category> {
    let keywords: String = get(row, "keywords")?;
    Ok(Category {
        code: get(row, "code")?,
        name_id: get(row, "name_id")?,
        name_en: get(row, "name_en")?,
        default_agency_id: get(row, "default_agency_id")?,
        needs_field_check: get(row, "needs_field_check")?,
        keywords: keywords
            .split(';')
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// `position` is the import order; `None` keeps an existing category's place and puts a new one last.
async fn upsert_category(
    conn: &mut PgConnection,
    c: &Category,
    position: Option<i32>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO categories (code, name_id, name_en, default_agency_id, needs_field_check, keywords, position)
         VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, (SELECT COALESCE(MAX(position), 0) + 1 FROM categories)))
         ON CONFLICT (code) DO UPDATE SET name_id = EXCLUDED.name_id, name_en = EXCLUDED.name_en,
           default_agency_id = EXCLUDED.default_agency_id, needs_field_check = EXCLUDED.needs_field_check,
           keywords = EXCLUDED.keywords, position = COALESCE($7, categories.position)",
    )
    .bind(&c.code)
    .bind(&c.name_id)
    .bind(&c.name_en)
    .bind(&c.default_agency_id)
    .bind(c.needs_field_check)
    .bind(c.keywords.join(";"))
    .bind(position)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn import_categories(
    pool: &PgPool,
    categories: &[Category],
    actor: &str,
    at: Timestamp,
) -> Result<u64> {
    let mut tx = audit::begin(pool).await?;
    for (i, c) in categories.iter().enumerate() {
        let position =
            i32::try_from(i).map_err(|_| StoreError::Invalid("too many categories".into()))?;
        upsert_category(&mut tx, c, Some(position)).await?;
    }
    audit(
        &mut tx,
        NewAuditEvent::new(actor, "categories.imported", "categories", "all")
            .after(&serde_json::json!({ "rows": categories.len() })),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(categories.len() as u64)
}

pub(crate) async fn categories(pool: &PgPool) -> Result<Vec<Category>> {
    sqlx::query("SELECT * FROM categories ORDER BY position, code")
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(category_from_row)
        .collect()
}

pub(crate) async fn update_category(
    pool: &PgPool,
    category: &Category,
    actor: &str,
    at: Timestamp,
) -> Result<()> {
    let mut tx = audit::begin(pool).await?;
    let before = sqlx::query("SELECT * FROM categories WHERE code = $1")
        .bind(&category.code)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(category_from_row)
        .transpose()?;
    upsert_category(&mut tx, category, None).await?;
    let mut e =
        NewAuditEvent::new(actor, "category.updated", "category", &category.code).after(category);
    if let Some(b) = before {
        e = e.before(&b);
    }
    audit(&mut tx, e, at).await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn import_holidays(
    pool: &PgPool,
    holidays: &[Holiday],
    actor: &str,
    at: Timestamp,
) -> Result<u64> {
    let mut tx = audit::begin(pool).await?;
    for h in holidays {
        sqlx::query("INSERT INTO holidays (date, kind, name) VALUES ($1, $2, $3) ON CONFLICT (date) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name")
            .bind(h.date)
            .bind(h.kind.as_str())
            .bind(&h.name)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    let e = match holidays {
        [one] => NewAuditEvent::new(actor, "holiday.put", "holiday", one.date).after(one),
        _ => NewAuditEvent::new(actor, "holidays.imported", "holidays", "all")
            .after(&serde_json::json!({ "rows": holidays.len() })),
    };
    audit(&mut tx, e, at).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(holidays.len() as u64)
}

pub(crate) async fn holidays(pool: &PgPool) -> Result<Vec<Holiday>> {
    let rows = sqlx::query("SELECT * FROM holidays ORDER BY date")
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            Ok(Holiday {
                date: get(row, "date")?,
                kind: code(row, "kind", HolidayKind::parse)?,
                name: get(row, "name")?,
            })
        })
        .collect()
}

pub(crate) async fn delete_holiday(
    pool: &PgPool,
    date: NaiveDate,
    actor: &str,
    at: Timestamp,
) -> Result<bool> {
    let mut tx = audit::begin(pool).await?;
    let n = sqlx::query("DELETE FROM holidays WHERE date = $1")
        .bind(date)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n > 0 {
        audit(
            &mut tx,
            NewAuditEvent::new(actor, "holiday.deleted", "holiday", date),
            at,
        )
        .await?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(n > 0)
}

const POLICY_KEY: &str = "sla_policy";

pub(crate) async fn sla_policy(pool: &PgPool) -> Result<SlaPolicy> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(POLICY_KEY)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    match v {
        None => Ok(SlaPolicy::jateng()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StoreError::Backend(format!("stored SLA policy is unreadable: {e}"))),
    }
}

pub(crate) async fn set_sla_policy(
    pool: &PgPool,
    policy: &SlaPolicy,
    actor: &str,
    at: Timestamp,
) -> Result<()> {
    let mut tx = audit::begin(pool).await?;
    let before: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(POLICY_KEY)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
    let before = match before {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|_| SlaPolicy::jateng()),
        None => SlaPolicy::jateng(),
    };
    let json = serde_json::to_string(policy).map_err(|e| StoreError::Backend(e.to_string()))?;
    sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at")
        .bind(POLICY_KEY)
        .bind(&json)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    audit(
        &mut tx,
        NewAuditEvent::new(actor, "sla_policy.updated", "sla_policy", "current")
            .before(&before)
            .after(policy),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn agency_heads(pool: &PgPool) -> Result<Vec<HeadRecord>> {
    sqlx::query("SELECT agency_id, name, position, since FROM agency_heads ORDER BY since, id")
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|row| {
            Ok(HeadRecord {
                agency_id: get(row, "agency_id")?,
                name: get(row, "name")?,
                position: get(row, "position")?,
                since: get(row, "since")?,
            })
        })
        .collect()
}
