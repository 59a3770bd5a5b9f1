//! The scheduler, the escalation ladder and the outbox, driven with a manual clock against real
//! stores. One test binary (linking is the slow part of a Rust test build).

mod common;
mod exactly_once;
mod fast_forward;
mod ladder;
mod smtp;
