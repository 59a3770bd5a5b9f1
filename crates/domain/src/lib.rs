//! Tanggap's domain: the vocabulary of SPEC.md as types, and the rules as pure functions.
//!
//! Nothing here does I/O, async or SQL. Time comes in as an argument (see [`clock`]), randomness
//! as an `RngCore`, so every rule is testable with fixed inputs.

pub mod access;
pub mod agency;
pub mod audit;
pub mod calendar;
pub mod clock;
pub mod compliance;
pub mod escalation;
pub mod ids;
pub mod metrics;
pub mod model;
pub mod phone;
pub mod policy;
pub mod sla;
pub mod workflow;

pub use agency::{Agency, AgencyKind, AgencyTree};
pub use calendar::WorkingCalendar;
pub use clock::{Clock, ClockKind, Measure, Timestamp};
pub use ids::{SecretToken, TrackingId};
pub use model::*;
pub use sla::SlaPolicy;
