//! Permissions that are not about one report: one table, consulted by every handler.
//! Report reads are decided by `tanggap_domain::access`, report writes by the workflow.

use crate::error::ApiError;
use tanggap_domain::Role;
use tanggap_store::User;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create and change accounts, issue API tokens.
    ManageUsers,
    /// Agencies and their heads, categories and default agencies, holidays.
    ManageReferenceData,
    /// Change the SLA policy.
    ManagePolicy,
    /// Read the SLA policy and holidays as configured.
    ViewPolicy,
    /// Enter a phone or walk-in report on a citizen's behalf.
    EnterReportOnBehalf,
    /// List users (to assign, to see who acted).
    ViewUsers,
}

pub fn allows(role: Role, p: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match p {
        ManageUsers | ManageReferenceData | ManagePolicy => role == Admin,
        ViewPolicy => true,
        EnterReportOnBehalf => role == Operator,
        ViewUsers => matches!(role, Admin | Operator | Auditor),
    }
}

pub fn require(user: &User, p: Permission) -> Result<(), ApiError> {
    if allows(user.role, p) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "The {} role may not do this ({p:?}).",
            user.role
        )))
    }
}
