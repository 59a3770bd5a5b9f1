//! Regions, agencies, categories, holidays and the SLA policy.

use crate::audit;
use crate::util::{code, db_err, get, ts, us};
use crate::writer::Writer;
use chrono::NaiveDate;
use sqlx::sqlite::SqliteRow;
use sqlx::{SqliteConnection, SqlitePool};
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::{
    Agency, AgencyKind, Category, Holiday, HolidayKind, Region, RegionLevel, SlaPolicy,
};
use tanggap_store::{HeadRecord, Result, StoreError, Timestamp};

pub(crate) async fn count(pool: &SqlitePool, table: &'static str) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .map_err(db_err)?;
    Ok(n as u64)
}

async fn audit(conn: &mut SqliteConnection, e: NewAuditEvent, at: Timestamp) -> Result<()> {
    audit::append(conn, e, at).await.map(|_| ())
}

pub(crate) async fn import_regions(w: &Writer, regions: Vec<Region>, at: Timestamp) -> Result<u64> {
    w.run(move |conn| {
        Box::pin(async move {
            for r in &regions {
                sqlx::query(
                    "INSERT INTO regions (code, parent_code, level, name) VALUES (?, ?, ?, ?)
                     ON CONFLICT (code) DO UPDATE SET parent_code = excluded.parent_code, level = excluded.level, name = excluded.name",
                )
                .bind(&r.code)
                .bind(&r.parent_code)
                .bind(r.level.as_str())
                .bind(&r.name)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            audit(conn, NewAuditEvent::new("system", "regions.imported", "regions", "all").after(&serde_json::json!({ "rows": regions.len() })), at).await?;
            Ok(regions.len() as u64)
        })
    })
    .await
}

fn region_from_row(row: &SqliteRow) -> Result<Region> {
    Ok(Region {
        code: get(row, "code")?,
        parent_code: get(row, "parent_code")?,
        level: code(row, "level", RegionLevel::parse)?,
        name: get(row, "name")?,
    })
}

pub(crate) async fn region(pool: &SqlitePool, code: &str) -> Result<Option<Region>> {
    sqlx::query("SELECT * FROM regions WHERE code = ?")
        .bind(code)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(region_from_row)
        .transpose()
}

pub(crate) async fn child_regions(pool: &SqlitePool, parent: Option<&str>) -> Result<Vec<Region>> {
    let rows = match parent {
        Some(p) => {
            sqlx::query("SELECT * FROM regions WHERE parent_code = ? ORDER BY name, code")
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

fn agency_from_row(row: &SqliteRow) -> Result<Agency> {
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

pub(crate) async fn agencies(pool: &SqlitePool, id: Option<&str>) -> Result<Vec<Agency>> {
    let rows = match id {
        Some(id) => {
            sqlx::query("SELECT * FROM agencies WHERE id = ?")
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

async fn upsert_agency(conn: &mut SqliteConnection, a: &Agency) -> Result<()> {
    sqlx::query(
        "INSERT INTO agencies (id, name, kind, parent_id, region_code, head_name, head_position, head_phone, head_email, active)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, parent_id = excluded.parent_id,
           region_code = excluded.region_code, head_name = excluded.head_name, head_position = excluded.head_position,
           head_phone = excluded.head_phone, head_email = excluded.head_email, active = excluded.active",
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
    w: &Writer,
    agencies: Vec<Agency>,
    actor: String,
    at: Timestamp,
) -> Result<u64> {
    w.run(move |conn| {
        Box::pin(async move {
            // Parents before children, whatever the input order.
            let mut pending: Vec<&Agency> = agencies.iter().collect();
            let mut written: std::collections::HashSet<String> = std::collections::HashSet::new();
            while !pending.is_empty() {
                let before = pending.len();
                let mut rest = Vec::new();
                for a in pending {
                    let parent_ready = match &a.parent_id {
                        None => true,
                        Some(p) => written.contains(p) || !agencies.iter().any(|x| &x.id == p),
                    };
                    if parent_ready {
                        upsert_agency(conn, a).await?;
                        written.insert(a.id.clone());
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
                conn,
                NewAuditEvent::new(actor, "agencies.imported", "agencies", "all")
                    .after(&serde_json::json!({ "rows": agencies.len() })),
                at,
            )
            .await?;
            Ok(agencies.len() as u64)
        })
    })
    .await
}

pub(crate) async fn update_agency(
    w: &Writer,
    agency: Agency,
    actor: String,
    at: Timestamp,
) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            let before = sqlx::query("SELECT * FROM agencies WHERE id = ?")
                .bind(&agency.id)
                .fetch_optional(&mut *conn)
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
            upsert_agency(conn, &agency).await?;
            if let Some(name) = &agency.head_name
                && (before.head_name.as_ref(), before.head_position.as_ref())
                    != (agency.head_name.as_ref(), agency.head_position.as_ref())
            {
                sqlx::query(
                    "INSERT INTO agency_heads (agency_id, name, position, since) VALUES (?, ?, ?, ?)",
                )
                .bind(&agency.id)
                .bind(name)
                .bind(&agency.head_position)
                .bind(us(at))
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            audit(
                conn,
                NewAuditEvent::new(actor, "agency.updated", "agency", &agency.id)
                    .before(&tanggap_store::redact::agency_change(&before, &agency).0)
                    .after(&tanggap_store::redact::agency_change(&before, &agency).1),
                at,
            )
            .await
        })
    })
    .await
}

fn category_from_row(row: &SqliteRow) -> Result<Category> {
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

async fn upsert_category(
    conn: &mut SqliteConnection,
    c: &Category,
    position: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO categories (code, name_id, name_en, default_agency_id, needs_field_check, keywords, position)
         VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, (SELECT COALESCE(MAX(position), 0) + 1 FROM categories)))
         ON CONFLICT (code) DO UPDATE SET name_id = excluded.name_id, name_en = excluded.name_en,
           default_agency_id = excluded.default_agency_id, needs_field_check = excluded.needs_field_check,
           keywords = excluded.keywords, position = COALESCE(?, categories.position)",
    )
    .bind(&c.code)
    .bind(&c.name_id)
    .bind(&c.name_en)
    .bind(&c.default_agency_id)
    .bind(c.needs_field_check)
    .bind(c.keywords.join(";"))
    .bind(position)
    .bind(position)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn import_categories(
    w: &Writer,
    categories: Vec<Category>,
    actor: String,
    at: Timestamp,
) -> Result<u64> {
    w.run(move |conn| {
        Box::pin(async move {
            for (i, c) in categories.iter().enumerate() {
                upsert_category(conn, c, Some(i as i64)).await?;
            }
            audit(
                conn,
                NewAuditEvent::new(actor, "categories.imported", "categories", "all")
                    .after(&serde_json::json!({ "rows": categories.len() })),
                at,
            )
            .await?;
            Ok(categories.len() as u64)
        })
    })
    .await
}

pub(crate) async fn categories(pool: &SqlitePool) -> Result<Vec<Category>> {
    sqlx::query("SELECT * FROM categories ORDER BY position, code")
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(category_from_row)
        .collect()
}

pub(crate) async fn update_category(
    w: &Writer,
    category: Category,
    actor: String,
    at: Timestamp,
) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            let before = sqlx::query("SELECT * FROM categories WHERE code = ?")
                .bind(&category.code)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?
                .as_ref()
                .map(category_from_row)
                .transpose()?;
            upsert_category(conn, &category, None).await?;
            let mut e = NewAuditEvent::new(actor, "category.updated", "category", &category.code)
                .after(&category);
            if let Some(b) = before {
                e = e.before(&b);
            }
            audit(conn, e, at).await
        })
    })
    .await
}

pub(crate) async fn import_holidays(
    w: &Writer,
    holidays: Vec<Holiday>,
    actor: String,
    at: Timestamp,
) -> Result<u64> {
    w.run(move |conn| {
        Box::pin(async move {
            for h in &holidays {
                sqlx::query("INSERT INTO holidays (date, kind, name) VALUES (?, ?, ?) ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name = excluded.name")
                    .bind(h.date.to_string())
                    .bind(h.kind.as_str())
                    .bind(&h.name)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            let e = if holidays.len() == 1 {
                NewAuditEvent::new(actor, "holiday.put", "holiday", holidays[0].date).after(&holidays[0])
            } else {
                NewAuditEvent::new(actor, "holidays.imported", "holidays", "all").after(&serde_json::json!({ "rows": holidays.len() }))
            };
            audit(conn, e, at).await?;
            Ok(holidays.len() as u64)
        })
    })
    .await
}

pub(crate) async fn holidays(pool: &SqlitePool) -> Result<Vec<Holiday>> {
    let rows = sqlx::query("SELECT * FROM holidays ORDER BY date")
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            let date: String = get(row, "date")?;
            Ok(Holiday {
                date: date
                    .parse()
                    .map_err(|_| StoreError::Backend(format!("bad holiday date `{date}`")))?,
                kind: code(row, "kind", HolidayKind::parse)?,
                name: get(row, "name")?,
            })
        })
        .collect()
}

pub(crate) async fn delete_holiday(
    w: &Writer,
    date: NaiveDate,
    actor: String,
    at: Timestamp,
) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            let n = sqlx::query("DELETE FROM holidays WHERE date = ?")
                .bind(date.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db_err)?
                .rows_affected();
            if n > 0 {
                audit(
                    conn,
                    NewAuditEvent::new(actor, "holiday.deleted", "holiday", date),
                    at,
                )
                .await?;
            }
            Ok(n > 0)
        })
    })
    .await
}

const POLICY_KEY: &str = "sla_policy";

pub(crate) async fn sla_policy(pool: &SqlitePool) -> Result<SlaPolicy> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
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
    w: &Writer,
    policy: SlaPolicy,
    actor: String,
    at: Timestamp,
) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            let before: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(POLICY_KEY)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
            let before = match before {
                Some(json) => serde_json::from_str(&json).unwrap_or_else(|_| SlaPolicy::jateng()),
                None => SlaPolicy::jateng(),
            };
            let json = serde_json::to_string(&policy).map_err(|e| StoreError::Backend(e.to_string()))?;
            sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
                .bind(POLICY_KEY)
                .bind(&json)
                .bind(us(at))
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            audit(conn, NewAuditEvent::new(actor, "sla_policy.updated", "sla_policy", "current").before(&before).after(&policy), at).await
        })
    })
    .await
}

pub(crate) async fn agency_heads(pool: &SqlitePool) -> Result<Vec<HeadRecord>> {
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
                since: ts(get(row, "since")?),
            })
        })
        .collect()
}
