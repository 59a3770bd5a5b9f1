//! The providers' side of the chat channels (SPEC section 3, `spec/CHANNELS.md`).
//!
//! Inbound: each provider's webhook request (its raw bytes, headers and URL) is verified and
//! parsed into [`Inbound`]: the messages it carries, normalised to [`InboundMessage`], the delivery
//! receipts ([`DeliveryStatus`]) and nothing else. Unknown event types parse to an empty
//! [`Inbound`] (acknowledged and ignored). Nothing here touches the database: the web adapter
//! stores what comes out and hands it to the use case.
//!
//! Outbound ([`outbound`]): the providers' send APIs and media downloads, behind one trait.
//!
//! Identity: [`InboundMessage::from`] is the address the *provider* vouches for (a WhatsApp
//! `wa_id`, an SMS sender, a Telegram chat id, a Messenger PSID, an X user id, an e-mail
//! address). Names and numbers typed or shared in a message are content, never identity.

pub mod config;
pub mod connectors;
pub mod inbound;
pub mod outbound;
pub mod verify;

/// The HTTP client crate the providers and connectors use (for callers that hold a client).
pub use reqwest;

pub use config::{ChannelsConfig, Secret};
pub use inbound::{
    DeliveryState, DeliveryStatus, Inbound, InboundMessage, Location, MediaRef, ParseError,
};
