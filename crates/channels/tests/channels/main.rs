//! The channels crate from the outside: each provider's webhook as the provider sends it
//! (payload shapes from `spec/CHANNELS.md` and the providers' documentation), the signatures,
//! and property tests that no input makes a parser panic. One test binary, one module per
//! provider.

mod email;
mod messenger;
mod outbound;
mod props;
mod sms_gateway;
mod support;
mod telegram;
mod twilio;
mod verify;
mod whatsapp;
mod x;
