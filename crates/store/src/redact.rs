//! What the audit trail may hold about people and what they wrote.
//!
//! The trail is hash-chained: nothing written there can be changed or removed without breaking
//! the chain, so nothing written there can ever be forgotten (a reporter's request to be
//! forgotten, UU 27/2022). It therefore records *that* something was written and *which*
//! record holds it, never the words or the contact details themselves:
//!
//! - free text (a note, question, answer, reason, message, instruction, rating comment, an
//!   edited title, body or address) as its [`digest`]: a SHA-256 and a length, enough to prove
//!   later that the text kept in the timeline is the text that was written, next to the id of
//!   the timeline entry and message that hold it;
//! - contact details (staff phone and e-mail, agency heads' phone and e-mail) as whether they are
//!   set and which of them changed, not even hashed: a phone number's hash is found by trying
//!   every number.
//!
//! Both backends build their audit records through here, so the rule is written once.

use crate::{NewReport, User};
use serde_json::{Map, Value, json};
use tanggap_domain::Agency;
use tanggap_domain::ids::sha256_hex;
use tanggap_domain::workflow::{Event, ReportFields};

/// Keys of workflow events that hold free text.
pub const TEXT_KEYS: &[&str] = &["question", "note", "reason", "text", "comment"];

/// A text as the trail records it: `{"sha256": …, "chars": …}`.
pub fn digest(text: &str) -> Value {
    json!({ "sha256": sha256_hex(text.as_bytes()), "chars": text.chars().count() })
}

fn digest_keys(v: &mut Value, keys: &[&str]) {
    if let Value::Object(m) = v {
        for k in keys {
            if let Some(Value::String(s)) = m.get(*k) {
                let d = digest(s);
                m.insert((*k).to_string(), d);
            }
        }
    }
}

/// A workflow event's `after` value: the event with its free text digested.
pub fn event(event: &Event) -> Value {
    let mut v = serde_json::to_value(event).unwrap_or(Value::Null);
    digest_keys(&mut v, TEXT_KEYS);
    v
}

/// A report's editable fields with the free-text ones (title, body, address) digested.
pub fn report_fields(f: &ReportFields) -> Value {
    let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
    digest_keys(&mut v, &["title", "body", "address"]);
    v
}

/// The names of the fields that differ.
pub fn changed_fields(before: &ReportFields, after: &ReportFields) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut check = |name: &'static str, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    check("kind", before.kind != after.kind);
    check("title", before.title != after.title);
    check("body", before.body != after.body);
    check("category", before.category != after.category);
    check("region_code", before.region_code != after.region_code);
    check("address", before.address != after.address);
    check("visibility", before.visibility != after.visibility);
    check(
        "needs_field_check",
        before.needs_field_check != after.needs_field_check,
    );
    changed
}

/// `report.created`: codes and references; the title digested; nothing of the reporter but
/// their record's id.
pub fn report_created(r: &NewReport, reporter_id: Option<i64>) -> Value {
    json!({
        "tracking_id": r.tracking_id, "kind": r.kind, "title": digest(&r.title),
        "body": digest(&r.body), "channel": r.channel, "visibility": r.visibility.codes(),
        "category": r.category, "region_code": r.region_code, "reporter_id": reporter_id,
        "has_coordinates": r.latitude.is_some(), "attachments": r.attachments.len(),
        "open311_key": r.open311.as_ref().map(|o| o.key_id),
    })
}

/// A staff account: never the password hash, nor the phone number or e-mail address (whether
/// they are set is enough to follow a change).
pub fn user(u: &User) -> Value {
    json!({
        "username": u.username, "display_name": u.display_name, "role": u.role,
        "agency_id": u.agency_id, "has_email": u.email.is_some(), "has_phone": u.phone.is_some(),
        "active": u.active, "integration": u.integration,
        "must_change_password": u.must_change_password,
    })
}

/// `user.updated`'s before and after, with the names of the fields that changed (contact
/// details included) in `after.changed`.
pub fn user_change(before: &User, after: &User, password_changed: bool) -> (Value, Value) {
    let mut changed = Vec::new();
    for (name, differs) in [
        ("display_name", before.display_name != after.display_name),
        ("role", before.role != after.role),
        ("agency_id", before.agency_id != after.agency_id),
        ("email", before.email != after.email),
        ("phone", before.phone != after.phone),
        ("active", before.active != after.active),
        (
            "must_change_password",
            before.must_change_password != after.must_change_password,
        ),
        ("password", password_changed),
    ] {
        if differs {
            changed.push(name);
        }
    }
    let mut a = user(after);
    a["changed"] = json!(changed);
    if password_changed {
        a["password_changed"] = json!(true);
    }
    (user(before), a)
}

/// An agency: its head's name and position (named in accountability reports), not the head's
/// phone or e-mail.
pub fn agency(a: &Agency) -> Value {
    json!({
        "id": a.id, "name": a.name, "kind": a.kind, "parent_id": a.parent_id,
        "region_code": a.region_code, "head_name": a.head_name, "head_position": a.head_position,
        "has_head_phone": a.head_phone.is_some(), "has_head_email": a.head_email.is_some(),
        "active": a.active,
    })
}

/// `agency.updated`'s before and after, with `after.changed`.
pub fn agency_change(before: &Agency, after: &Agency) -> (Value, Value) {
    let b = agency(before);
    let mut a = agency(after);
    let mut changed: Vec<String> = Vec::new();
    if let (Value::Object(bm), Value::Object(am)) = (&b, &a) {
        changed.extend(
            am.iter()
                .filter(|(k, v)| bm.get(*k) != Some(v))
                .map(|(k, _)| k.clone()),
        );
    }
    for (name, differs) in [
        ("head_phone", before.head_phone != after.head_phone),
        ("head_email", before.head_email != after.head_email),
    ] {
        if differs {
            changed.push(name.into());
        }
    }
    changed.retain(|c| c != "has_head_phone" && c != "has_head_email");
    a["changed"] = json!(changed);
    (b, a)
}

/// Adds the ids of the rows that hold a change's text to its `after` value.
pub fn with_refs(mut after: Value, refs: &[(&str, Option<i64>)]) -> Value {
    if let Value::Object(m) = &mut after {
        for (k, v) in refs {
            if let Some(id) = v {
                m.insert((*k).to_string(), json!(id));
            }
        }
    } else {
        let mut m = Map::new();
        m.insert("value".into(), after);
        return with_refs(Value::Object(m), refs);
    }
    after
}

#[cfg(test)]
mod tests {
    use super::*;
    use tanggap_domain::{AgencyKind, ReportKind, Role, Visibility};

    fn staff(email: Option<&str>, phone: Option<&str>) -> User {
        User {
            id: 3,
            username: "budi".into(),
            display_name: "Budi Santoso".into(),
            role: Role::Petugas,
            agency_id: Some("dpu-bmck".into()),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
            active: true,
            created_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            integration: false,
            must_change_password: false,
            locked_until: None,
            session_epoch: 0,
        }
    }

    #[test]
    fn digests_name_the_text_without_holding_it() {
        let d = digest("RT 03 RW 05");
        assert_eq!(d["chars"], 11);
        assert_eq!(
            d["sha256"].as_str().unwrap(),
            sha256_hex("RT 03 RW 05".as_bytes())
        );
        assert!(!d.to_string().contains("RT 03"));
    }

    #[test]
    fn staff_contacts_are_never_recorded() {
        let before = staff(Some("budi@dpu.go.id"), Some("+6281111111111"));
        let after = staff(Some("budi.s@dpu.go.id"), None);
        let (b, a) = user_change(&before, &after, true);
        let text = format!("{b}{a}");
        for secret in [
            "budi@dpu.go.id",
            "budi.s@dpu.go.id",
            "+6281111111111",
            "6281111111111",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(a["changed"], json!(["email", "phone", "password"]));
        assert_eq!(
            (b["has_phone"].clone(), a["has_phone"].clone()),
            (json!(true), json!(false))
        );
        assert_eq!(a["password_changed"], json!(true));
    }

    #[test]
    fn heads_contacts_are_never_recorded() {
        let before = Agency {
            id: "dpu-bmck".into(),
            name: "Dinas PU".into(),
            kind: AgencyKind::OpdProvinsi,
            parent_id: None,
            region_code: None,
            head_name: Some("Ir. Hadi".into()),
            head_position: Some("Kepala Dinas".into()),
            head_phone: Some("+6282222222222".into()),
            head_email: Some("hadi@dpu.go.id".into()),
            active: true,
        };
        let after = Agency {
            head_phone: Some("+6283333333333".into()),
            name: "Dinas PU BMCK".into(),
            ..before.clone()
        };
        let (b, a) = agency_change(&before, &after);
        let text = format!("{b}{a}");
        for secret in ["+6282222222222", "+6283333333333", "hadi@dpu.go.id"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("Ir. Hadi"));
        assert_eq!(a["changed"], json!(["name", "head_phone"]));
    }

    #[test]
    fn edited_fields_are_named_and_their_text_digested() {
        let before = ReportFields {
            kind: ReportKind::Pengaduan,
            title: "Jalan rusak di depan rumah Pak Slamet".into(),
            body: "Saya Slamet, NIK 3374010101800001.".into(),
            category: None,
            region_code: None,
            address: Some("Jl. Melati 7".into()),
            visibility: Visibility::PUBLIK,
            needs_field_check: false,
        };
        let after = ReportFields {
            title: "Jalan rusak".into(),
            body: "Jalan rusak di Jl. Melati.".into(),
            category: Some("jalan-jembatan".into()),
            ..before.clone()
        };
        assert_eq!(
            changed_fields(&before, &after),
            vec!["title", "body", "category"]
        );
        let text = format!("{}{}", report_fields(&before), report_fields(&after));
        for secret in ["Slamet", "3374010101800001", "Melati"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("jalan-jembatan"));
    }

    #[test]
    fn refs_are_added() {
        let v = with_refs(
            json!({"event": "x"}),
            &[("activity_id", Some(4)), ("message_id", None)],
        );
        assert_eq!(v, json!({"event": "x", "activity_id": 4}));
    }
}
