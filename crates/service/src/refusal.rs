//! Why a use case said no: a stable code with named arguments, the same from every door. Each
//! door renders it in its caller's language with [`Refusal::message`] and
//! [`FieldError::message`]; the words live in [`crate::catalogue`], once.

use serde::Serialize;
use tanggap_domain::workflow::WorkflowError;
use tanggap_store::StoreError;

/// The languages Tanggap speaks to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Bahasa Indonesia, the default.
    #[default]
    Id,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "id" | "in" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header that we speak.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .filter_map(|tag| tag.trim().split('-').next())
            .find_map(Lang::parse)
    }
}

/// How a refusal maps onto HTTP and onto the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// 401: log in, or present a token or the report's secret.
    Unauthenticated,
    /// 403: this caller may not.
    Forbidden,
    /// 404
    NotFound,
    /// 409: not possible in the current state.
    Conflict,
    /// 422: the request has fields to fix.
    Invalid,
    /// 429
    RateLimited { retry_after_secs: u64 },
}

/// Named arguments of a refusal, e.g. `[("max", "200")]`.
pub type Args = Vec<(&'static str, String)>;

/// One field to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The request field, e.g. `title`, `reporter.phone`, `agencies`.
    pub field: String,
    /// Stable code, e.g. `required`, `too_long`, `unknown`.
    pub code: &'static str,
    #[serde(serialize_with = "ser_args")]
    pub args: Args,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        FieldError {
            field: field.into(),
            code,
            args: vec![],
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn arg(&self, name: &str) -> Option<&str> {
        arg(&self.args, name)
    }

    /// What to fix, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        crate::catalogue::field_message(self, lang)
    }
}

/// A use case's "no".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    /// Stable code, e.g. `role_not_allowed`, `invalid_transition`, `validation_failed`.
    pub code: &'static str,
    pub args: Args,
    /// The fields to fix, for `Invalid`.
    pub fields: Vec<FieldError>,
}

impl Refusal {
    pub fn new(kind: RefusalKind, code: &'static str) -> Self {
        Refusal {
            kind,
            code,
            args: vec![],
            fields: vec![],
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn arg(&self, name: &str) -> Option<&str> {
        arg(&self.args, name)
    }

    /// What happened and what to do, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        crate::catalogue::refusal_message(self, lang)
    }
}

fn arg<'a>(args: &'a Args, name: &str) -> Option<&'a str> {
    args.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

fn ser_args<S: serde::Serializer>(args: &Args, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(args.len()))?;
    for (k, v) in args {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

/// What a use case fails with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The caller is told why, in their language.
    #[error("refused: {}", .0.code)]
    Refused(Refusal),
    /// 500: logged with its cause, never shown.
    #[error("internal failure: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn refused(kind: RefusalKind, code: &'static str) -> Self {
        ServiceError::Refused(Refusal::new(kind, code))
    }

    /// 422 with the fields to fix.
    pub fn fields(fields: Vec<FieldError>) -> Self {
        ServiceError::Refused(Refusal {
            kind: RefusalKind::Invalid,
            code: "validation_failed",
            args: vec![],
            fields,
        })
    }

    pub fn field(field: impl Into<String>, code: &'static str) -> Self {
        Self::fields(vec![FieldError::new(field, code)])
    }

    pub fn unauthenticated() -> Self {
        Self::refused(RefusalKind::Unauthenticated, "login_required")
    }

    pub fn not_permitted(permission: tanggap_domain::policy::Permission) -> Self {
        ServiceError::Refused(
            Refusal::new(RefusalKind::Forbidden, "role_not_allowed")
                .with("permission", permission.as_str()),
        )
    }

    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        ServiceError::Refused(
            Refusal::new(RefusalKind::NotFound, "not_found")
                .with("what", what)
                .with("id", id),
        )
    }

    /// The refusal, if this is one.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            ServiceError::Refused(r) => Some(r),
            ServiceError::Internal(_) => None,
        }
    }

    /// The stable code (`internal` for a failure).
    pub fn code(&self) -> &'static str {
        self.refusal().map_or("internal", |r| r.code)
    }

    /// The fields to fix, if this is a validation refusal.
    pub fn field_errors(&self) -> Option<&[FieldError]> {
        self.refusal()
            .filter(|r| r.kind == RefusalKind::Invalid && !r.fields.is_empty())
            .map(|r| r.fields.as_slice())
    }
}

impl From<Refusal> for ServiceError {
    fn from(r: Refusal) -> Self {
        ServiceError::Refused(r)
    }
}

impl From<WorkflowError> for ServiceError {
    fn from(e: WorkflowError) -> Self {
        let kind = match &e {
            WorkflowError::NotPermitted { .. } | WorkflowError::OtherAgency => {
                RefusalKind::Forbidden
            }
            WorkflowError::WrongStatus { .. } | WorkflowError::WrongStage { .. } => {
                RefusalKind::Conflict
            }
            WorkflowError::UnknownAssignment(_) => RefusalKind::NotFound,
            WorkflowError::Invalid(_) => RefusalKind::Invalid,
        };
        let fields = match &e {
            WorkflowError::Invalid(i) => i
                .field()
                .map(|f| FieldError {
                    field: f.into(),
                    code: i.code(),
                    args: i.args(),
                })
                .into_iter()
                .collect(),
            _ => vec![],
        };
        ServiceError::Refused(Refusal {
            kind,
            code: e.code(),
            args: e.args(),
            fields,
        })
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ServiceError::Refused(
                Refusal::new(RefusalKind::NotFound, "not_found").with("detail", what),
            ),
            StoreError::Conflict(msg) => ServiceError::Refused(
                Refusal::new(RefusalKind::Conflict, "conflict").with("detail", msg),
            ),
            StoreError::Invalid(msg) => ServiceError::Refused(
                Refusal::new(RefusalKind::Invalid, "invalid_reference").with("detail", msg),
            ),
            StoreError::VersionConflict => {
                ServiceError::refused(RefusalKind::Conflict, "concurrent_change")
            }
            StoreError::Backend(msg) => ServiceError::Internal(msg),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_first_we_speak() {
        assert_eq!(Lang::from_accept_language("fr, en;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("id-ID,id;q=0.9"), Some(Lang::Id));
        assert_eq!(Lang::from_accept_language("de"), None);
    }

    #[test]
    fn workflow_refusals_keep_code_and_field() {
        use tanggap_domain::workflow::Invalid;
        let e = ServiceError::from(WorkflowError::Invalid(Invalid::TooLong {
            field: "note",
            max: 4000,
        }));
        let r = e.refusal().unwrap();
        assert_eq!((r.kind, r.code), (RefusalKind::Invalid, "too_long"));
        assert_eq!(r.fields[0].field, "note");
        assert_eq!(r.fields[0].arg("max"), Some("4000"));
    }
}
