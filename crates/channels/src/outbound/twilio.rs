//! Twilio's Messages API: `POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json`, basic auth
//! `sid:auth_token`, form `To`, `From`, `Body`; media (`MediaUrlN`) with the same basic auth,
//! following Twilio's redirect to the file (the credentials are not sent to another host).

use super::http::{Api, base, encode, present};
use super::{ChatProvider, FetchedMedia, OutboundText, ProviderError, Sent};
use crate::config::TwilioConfig;
use crate::inbound::MediaRef;
use tanggap_domain::Channel;

/// Sends SMS through Twilio.
pub struct TwilioProvider {
    api: Api,
    api_base: String,
    account_sid: String,
    auth_token: String,
    from: String,
}

impl TwilioProvider {
    /// `None` unless `account_sid`, `from` and `auth_token` are set.
    pub fn new(http: reqwest::Client, config: &TwilioConfig) -> Option<Self> {
        let account_sid = present(config.account_sid.as_deref())?;
        let from = present(config.from.as_deref())?;
        let auth_token = present(Some(config.auth_token.expose()))?;
        Some(TwilioProvider {
            api: Api::new(http, "twilio", vec![auth_token.clone()]),
            api_base: base(&config.api_base),
            account_sid,
            auth_token,
            from,
        })
    }
}

#[async_trait::async_trait]
impl ChatProvider for TwilioProvider {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    async fn send_text(&self, msg: &OutboundText<'_>) -> Result<Sent, ProviderError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.api_base,
            encode(&self.account_sid)
        );
        let req = self
            .api
            .http
            .post(url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&[
                ("To", msg.to.trim()),
                ("From", self.from.as_str()),
                ("Body", msg.text),
            ]);
        let answer = self.api.json(req).await?;
        self.api.sent_id(&answer, "/sid")
    }

    async fn fetch_media(
        &self,
        media: &MediaRef,
        max_bytes: usize,
    ) -> Result<FetchedMedia, ProviderError> {
        self.api
            .fetch_by_url(media, max_bytes, |r| {
                r.basic_auth(&self.account_sid, Some(&self.auth_token))
            })
            .await
    }
}
