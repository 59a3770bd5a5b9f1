//! The desk's assistant: where a new report likely belongs (category and agency, with reasons)
//! and which recent reports likely describe the same incident, and how often it is right.
//!
//! Pure: it learns from what it is given (the reference data and past dispatches) and answers
//! from memory; reading the history and recording what operators chose is the service's job.

mod bayes;
pub mod duplicates;
pub mod eval;
pub mod routing;
pub mod text;

pub use duplicates::{DuplicateSettings, Fingerprint, Likeness, Rarity};
pub use routing::{Cue, Example, Knowledge, REGION_GOVERNMENT, Reason, Router, RoutingSuggestion};
