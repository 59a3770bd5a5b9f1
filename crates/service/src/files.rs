//! The desk's review of a report's photos and documents before the public sees them. A photo
//! can show what no form field asks for (an identity card, a face, a house number): nothing a
//! citizen uploads is public until the desk has published it, hidden it, or published a copy
//! with areas blacked out (as FixMyStreet's moderators do). Staff and the reporter always see
//! the original.

use crate::{Caller, FieldError, Result, ServiceError, Services};
use tanggap_attachments::DiskStore;
use tanggap_domain::ids::is_attachment_key;
use tanggap_domain::policy::Permission;
use tanggap_store::{Area, AttachmentRecord, AttachmentReview, FileCopy, Review};

/// At most this many areas per picture.
pub const MAX_AREAS: usize = 20;

/// A review as a door received it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewInput {
    /// `publish`, `hide` or `redact`.
    pub decision: String,
    /// For `redact`: the areas to black out, in percent of the picture (ignored otherwise).
    pub areas: Vec<Area>,
}

impl ReviewInput {
    /// The decision and the areas, or every problem at once.
    fn check(&self) -> Result<(Review, Vec<Area>), Vec<FieldError>> {
        let decision = match self.decision.trim() {
            "publish" => Review::Published,
            "hide" => Review::Hidden,
            "redact" => Review::Redacted,
            _ => return Err(vec![FieldError::new("decision", "invalid")]),
        };
        if decision != Review::Redacted {
            return Ok((decision, vec![]));
        }
        if self.areas.is_empty() {
            return Err(vec![FieldError::new("areas", "required")]);
        }
        if self.areas.len() > MAX_AREAS {
            return Err(vec![
                FieldError::new("areas", "too_many_areas").with("max", MAX_AREAS),
            ]);
        }
        let errors: Vec<FieldError> = self
            .areas
            .iter()
            .enumerate()
            .filter(|(_, a)| !as_area(a).is_valid())
            .map(|(i, _)| FieldError::new("areas", "area_outside").with("index", i + 1))
            .collect();
        if errors.is_empty() {
            Ok((decision, self.areas.clone()))
        } else {
            Err(errors)
        }
    }
}

fn as_area(a: &Area) -> tanggap_attachments::Area {
    tanggap_attachments::Area {
        x: a.x,
        y: a.y,
        w: a.w,
        h: a.h,
    }
}

impl Services {
    /// Publish, hide or publish a redacted copy of one attachment (the complaint desk). The copy
    /// is stored in `files` beside the original; the decision is audited without free text.
    pub async fn review_attachment(
        &self,
        caller: &Caller,
        key: &str,
        input: ReviewInput,
        files: &DiskStore,
    ) -> Result<AttachmentRecord> {
        caller.require(Permission::ReviewAttachments)?;
        let not_found = || ServiceError::not_found("attachment", key);
        if !is_attachment_key(key) {
            return Err(not_found());
        }
        let a = self
            .store
            .attachment_by_key(key)
            .await?
            .ok_or_else(not_found)?;
        let report = self
            .store
            .report(a.report_id)
            .await?
            .ok_or_else(not_found)?;
        // The desk reads every report; the check stays here for the day that changes.
        self.open_report(caller, report.tracking_id.as_str(), None)
            .await?;
        let (decision, areas) = input.check().map_err(ServiceError::fields)?;
        let redacted = if decision == Review::Redacted {
            if !a.content_type.starts_with("image/") {
                return Err(ServiceError::field("decision", "not_an_image"));
            }
            let disk = files.clone();
            let (storage_key, filename) = (a.storage_key.clone(), a.filename.clone());
            let marks: Vec<tanggap_attachments::Area> = areas.iter().map(as_area).collect();
            let copy = tokio::task::spawn_blocking(move || {
                let original = disk.get(&storage_key).map_err(|e| {
                    ServiceError::Internal(format!("attachment {storage_key}: {e}"))
                })?;
                let copy = tanggap_attachments::redact(&original, &filename, &marks)
                    .map_err(|_| ServiceError::field("decision", "cannot_redact"))?;
                let key = disk
                    .put(&copy)
                    .map_err(|e| ServiceError::Internal(format!("storing a redacted copy: {e}")))?;
                Ok::<_, ServiceError>(FileCopy {
                    content_type: copy.content_type.to_string(),
                    size_bytes: copy.bytes.len() as i64,
                    sha256: copy.sha256,
                    storage_key: key,
                })
            })
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
            Some((copy, areas))
        } else {
            None
        };
        Ok(self
            .store
            .review_attachment(&AttachmentReview {
                attachment_id: a.id,
                decision,
                redacted,
                actor: caller.audit_label(),
                at: self.now(),
            })
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(x: f64, y: f64, w: f64, h: f64) -> Area {
        Area { x, y, w, h }
    }

    fn input(decision: &str, areas: Vec<Area>) -> ReviewInput {
        ReviewInput {
            decision: decision.into(),
            areas,
        }
    }

    #[test]
    fn decisions_and_areas_are_checked() {
        assert_eq!(
            input("publish", vec![area(-5.0, 0.0, 1.0, 1.0)]).check(),
            Ok((Review::Published, vec![])),
            "areas matter only for a redaction"
        );
        assert_eq!(
            input(" hide ", vec![]).check(),
            Ok((Review::Hidden, vec![]))
        );
        let a = area(10.0, 20.0, 30.0, 15.0);
        assert_eq!(
            input("redact", vec![a]).check(),
            Ok((Review::Redacted, vec![a]))
        );
        let codes = |i: ReviewInput| -> Vec<(String, &'static str)> {
            i.check()
                .unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect()
        };
        assert_eq!(
            codes(input("publikasi", vec![])),
            vec![("decision".into(), "invalid")]
        );
        assert_eq!(
            codes(input("redact", vec![])),
            vec![("areas".into(), "required")]
        );
        assert_eq!(
            codes(input(
                "redact",
                vec![
                    a,
                    area(90.0, 0.0, 20.0, 10.0),
                    area(0.0, 0.0, f64::NAN, 1.0)
                ]
            )),
            vec![
                ("areas".into(), "area_outside"),
                ("areas".into(), "area_outside")
            ]
        );
        assert_eq!(
            codes(input("redact", vec![a; MAX_AREAS + 1])),
            vec![("areas".into(), "too_many_areas")]
        );
        for e in input("redact", vec![area(90.0, 0.0, 20.0, 10.0)])
            .check()
            .unwrap_err()
        {
            assert_ne!(e.message(crate::Lang::Id), e.message(crate::Lang::En));
        }
    }
}
