//! One module per provider; each turns its provider's body into [`super::Inbound`].

pub(super) mod email;
pub(super) mod messenger;
pub(super) mod sms;
pub(super) mod telegram;
pub(super) mod twilio;
pub(super) mod whatsapp;
pub(super) mod x;
