//! The channels' credentials and addresses, as configuration gives them (TOML `[channels]` keys or
//! `TANGGAP_*` variables, see the README). A channel whose credentials are missing is off: its
//! webhook answers 404 and nothing is sent on it. Secrets are never logged: `Debug` hides them.

use crate::inbound::SmsFields;
use serde::Deserialize;

/// A secret from configuration; `Debug` prints `***`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Every channel's settings; `None` means the channel is off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    pub whatsapp: Option<WhatsappConfig>,
    pub telegram: Option<TelegramConfig>,
    pub sms: Option<SmsGatewayConfig>,
    pub twilio: Option<TwilioConfig>,
    pub messenger: Option<MessengerConfig>,
    pub x: Option<XConfig>,
    pub email: Option<EmailInboundConfig>,
}

/// WhatsApp Business Cloud API. On with `app_secret` and `verify_token` (inbound); sending also
/// needs `access_token` and `phone_number_id`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsappConfig {
    /// `TANGGAP_WHATSAPP_APP_SECRET`: signs the webhooks (`X-Hub-Signature-256`).
    pub app_secret: Secret,
    /// `TANGGAP_WHATSAPP_VERIFY_TOKEN`: the subscription check's token.
    pub verify_token: Secret,
    /// `TANGGAP_WHATSAPP_ACCESS_TOKEN`: the Graph API bearer token (sending, media).
    pub access_token: Option<Secret>,
    /// `TANGGAP_WHATSAPP_PHONE_NUMBER_ID`: the sending number's id.
    pub phone_number_id: Option<String>,
    /// `TANGGAP_WHATSAPP_API_BASE`, default `https://graph.facebook.com/v21.0`.
    pub api_base: String,
    /// `TANGGAP_WHATSAPP_TEMPLATE` and `TANGGAP_WHATSAPP_TEMPLATE_LANGUAGE` (default `id`): the
    /// approved template (one body parameter: the text) used outside the 24-hour window.
    pub template: Option<String>,
    pub template_language: String,
}

/// Telegram Bot API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramConfig {
    /// `TANGGAP_TELEGRAM_SECRET_TOKEN`: given to `setWebhook`, sent back on every update.
    pub secret_token: Secret,
    /// `TANGGAP_TELEGRAM_BOT_TOKEN`: for `sendMessage` and `getFile`.
    pub bot_token: Option<Secret>,
    /// `TANGGAP_TELEGRAM_API_BASE`, default `https://api.telegram.org`.
    pub api_base: String,
}

/// The generic SMS gateway (Kannel, Gammu relays, RapidPro-style, Zenziva).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsGatewayConfig {
    /// `TANGGAP_SMS_GATEWAY_SECRET`: the webhook is `/channels/sms/{secret}` (gateways sign
    /// nothing; use 32+ random characters).
    pub secret: Secret,
    /// Inbound field names (`TANGGAP_SMS_FIELD_FROM`, `_TEXT`, `_DATE`, `_ID`).
    pub fields: SmsFields,
    /// `TANGGAP_SMS_GATEWAY_ALLOW`: client IPs allowed to post (empty: any).
    pub allow: Vec<std::net::IpAddr>,
    /// `TANGGAP_SMS_GATEWAY_SEND_URL`: where outgoing SMS are sent, with `{to}` and `{text}`
    /// placeholders (URL-encoded when substituted), e.g. Kannel's
    /// `http://kannel:13013/cgi-bin/sendsms?username=u&password=p&to={to}&text={text}`.
    pub send_url: Option<Secret>,
}

/// Twilio's SMS webhooks and Messages API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    /// `TANGGAP_TWILIO_AUTH_TOKEN`: signs the webhooks; with the account SID, authenticates sends.
    pub auth_token: Secret,
    /// `TANGGAP_TWILIO_ACCOUNT_SID` and `TANGGAP_TWILIO_FROM` (the sending number): for sending.
    pub account_sid: Option<String>,
    pub from: Option<String>,
    /// `TANGGAP_TWILIO_API_BASE`, default `https://api.twilio.com`.
    pub api_base: String,
}

/// Facebook Messenger.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessengerConfig {
    /// `TANGGAP_MESSENGER_APP_SECRET` and `TANGGAP_MESSENGER_VERIFY_TOKEN`.
    pub app_secret: Secret,
    pub verify_token: Secret,
    /// `TANGGAP_MESSENGER_PAGE_TOKEN`: the page access token for the Send API.
    pub page_token: Option<Secret>,
    /// `TANGGAP_MESSENGER_API_BASE`, default `https://graph.facebook.com/v21.0`.
    pub api_base: String,
}

/// X direct messages (Account Activity API; needs a paid tier, so optional).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XConfig {
    /// `TANGGAP_X_CONSUMER_SECRET`: the CRC answer and the webhook signature.
    pub consumer_secret: Secret,
    /// `TANGGAP_X_ACCESS_TOKEN`: an OAuth 2.0 user-context bearer token for sending DMs.
    pub access_token: Option<Secret>,
    /// `TANGGAP_X_API_BASE`, default `https://api.x.com`.
    pub api_base: String,
}

/// Inbound e-mail posted by a provider (outbound e-mail is the SMTP sender).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailInboundConfig {
    /// `TANGGAP_EMAIL_WEBHOOK_SECRET`: the provider sends it in `X-Tanggap-Webhook-Secret`.
    pub webhook_secret: Secret,
}
