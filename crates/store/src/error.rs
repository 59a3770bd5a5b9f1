pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What can go wrong below the store boundary, in terms the layers above can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing does not exist (404 above).
    #[error("{0} not found")]
    NotFound(String),
    /// A uniqueness rule would be broken, e.g. a username that is taken (409 above).
    #[error("{0}")]
    Conflict(String),
    /// The report changed after the caller decided; decide again on the new state.
    #[error("the report changed while this request was being decided; try again")]
    VersionConflict,
    /// A reference to something that does not exist, e.g. an unknown category (422 above).
    #[error("{0}")]
    Invalid(String),
    /// The database failed. The message is for logs, never for clients.
    #[error("storage failure: {0}")]
    Backend(String),
}
