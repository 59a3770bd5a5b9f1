//! The chat providers' webhooks, `/channels/*`: an adapter like the JSON API. Each request is
//! checked against the provider's signature or secret over its raw bytes, parsed by
//! `tanggap-channels` into normalised messages, and every message is recorded (keyed by the
//! provider's message id) *before* the provider gets its 2xx; the inbox (`tanggap-jobs`) handles
//! them through the chat use case right after. A retry is answered 200 and records nothing. A
//! channel without credentials answers 404.

use crate::AppState;
use crate::auth::ClientIp;
use crate::error::{ApiError, ApiResult};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tanggap_channels::inbound::{self, Inbound, ParseError, WebhookRequest};
use tanggap_channels::verify::{self, VerifyError};
use tanggap_service::RefusalKind;

/// Chat providers post small JSON or form bodies; e-mail may carry attachments.
const CHAT_BODY_LIMIT: usize = 1024 * 1024;
const EMAIL_BODY_LIMIT: usize = 32 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/channels/whatsapp", get(whatsapp_check).post(whatsapp))
        .route("/channels/messenger", get(messenger_check).post(messenger))
        .route("/channels/telegram", axum::routing::post(telegram))
        .route("/channels/sms", get(sms).post(sms))
        .route("/channels/sms/{secret}", get(sms_path).post(sms_path))
        .route("/channels/twilio", axum::routing::post(twilio))
        .route("/channels/x", get(x_crc).post(x))
        .layer(DefaultBodyLimit::max(CHAT_BODY_LIMIT))
        .merge(
            Router::new()
                .route("/channels/email", axum::routing::post(email))
                .layer(DefaultBodyLimit::max(EMAIL_BODY_LIMIT)),
        )
}

fn off() -> ApiError {
    ApiError::refused(RefusalKind::NotFound, "channel_off")
}

fn unverified(e: VerifyError) -> ApiError {
    match e {
        VerifyError::Missing => {
            ApiError::refused(RefusalKind::Unauthenticated, "signature_missing")
        }
        VerifyError::Invalid => ApiError::refused(RefusalKind::Forbidden, "signature_invalid"),
    }
}

fn malformed(e: ParseError) -> ApiError {
    ApiError::BadRequest(e.to_string())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

/// Record every message before answering; receipts are recorded on the notifications.
async fn record(state: &AppState, inbound: Inbound) -> ApiResult<()> {
    let services = &state.services;
    let mut fresh = 0;
    for m in &inbound.messages {
        let payload = serde_json::to_string(m).map_err(|e| ApiError::Internal(e.to_string()))?;
        if services
            .record_inbound(m.channel, &m.provider_id, &m.from, &payload)
            .await?
            .is_some()
        {
            fresh += 1;
        }
    }
    if !inbound.statuses.is_empty() {
        services.record_delivery_receipts(&inbound.statuses).await?;
    }
    if fresh > 0 {
        state.inbox.notify_one();
    }
    Ok(())
}

// ----- Meta (WhatsApp, Messenger) ---------------------------------------------------------------

async fn whatsapp_check(State(state): State<AppState>, OriginalUri(uri): OriginalUri) -> Response {
    let Some(c) = &state.channels.whatsapp else {
        return off().into_response();
    };
    subscription(uri.query().unwrap_or(""), c.verify_token.expose())
}

async fn messenger_check(State(state): State<AppState>, OriginalUri(uri): OriginalUri) -> Response {
    let Some(c) = &state.channels.messenger else {
        return off().into_response();
    };
    subscription(uri.query().unwrap_or(""), c.verify_token.expose())
}

fn subscription(query: &str, token: &str) -> Response {
    match verify::meta_subscription(query, token) {
        Ok(challenge) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge,
        )
            .into_response(),
        Err(e) => unverified(e).into_response(),
    }
}

async fn whatsapp(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let c = state.channels.whatsapp.as_ref().ok_or_else(off)?;
    verify::meta_signature(
        c.app_secret.expose(),
        header_str(&headers, "x-hub-signature-256"),
        &body,
    )
    .map_err(unverified)?;
    record(&state, inbound::whatsapp(&body).map_err(malformed)?).await?;
    Ok(StatusCode::OK)
}

async fn messenger(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let c = state.channels.messenger.as_ref().ok_or_else(off)?;
    verify::meta_signature(
        c.app_secret.expose(),
        header_str(&headers, "x-hub-signature-256"),
        &body,
    )
    .map_err(unverified)?;
    record(&state, inbound::messenger(&body).map_err(malformed)?).await?;
    Ok(StatusCode::OK)
}

// ----- Telegram ---------------------------------------------------------------------------------

async fn telegram(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let c = state.channels.telegram.as_ref().ok_or_else(off)?;
    verify::telegram_secret(
        c.secret_token.expose(),
        header_str(&headers, "x-telegram-bot-api-secret-token"),
    )
    .map_err(unverified)?;
    record(&state, inbound::telegram(&body).map_err(malformed)?).await?;
    Ok(StatusCode::OK)
}

// ----- SMS gateways -----------------------------------------------------------------------------

/// `/channels/sms` with the secret in `X-Tanggap-Webhook-Secret` or `?secret=`.
async fn sms(
    state: State<AppState>,
    ip: ClientIp,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let query = uri.query().unwrap_or("");
    let secret = header_str(&headers, "x-tanggap-webhook-secret")
        .map(str::to_string)
        .or_else(|| {
            url_pairs(query)
                .into_iter()
                .find(|(k, _)| k == "secret")
                .map(|(_, v)| v)
        });
    sms_with(state, ip, uri.to_string(), query, secret, headers, body).await
}

/// `/channels/sms/{secret}`: for gateways that can only be given a URL (Kannel, Gammu relays).
async fn sms_path(
    state: State<AppState>,
    ip: ClientIp,
    Path(secret): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let query = uri.query().unwrap_or("");
    sms_with(
        state,
        ip,
        uri.to_string(),
        query,
        Some(secret),
        headers,
        body,
    )
    .await
}

async fn sms_with(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    url: String,
    query: &str,
    secret: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let c = state.channels.sms.as_ref().ok_or_else(off)?;
    verify::shared_secret(c.secret.expose(), secret.as_deref()).map_err(unverified)?;
    if !c.allow.is_empty() && !c.allow.contains(&ip) {
        return Err(ApiError::refused(
            RefusalKind::Forbidden,
            "sender_not_allowed",
        ));
    }
    let list = header_list(&headers);
    let req = WebhookRequest {
        url: &url,
        query: (!query.is_empty()).then_some(query),
        headers: &list,
        content_type: header_str(&headers, "content-type"),
        body: &body,
    };
    let parsed = inbound::sms_gateway(&c.fields, &req, state.services.now()).map_err(malformed)?;
    record(&state, parsed).await?;
    Ok(StatusCode::OK)
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    inbound::form_params(query.as_bytes()).unwrap_or_default()
}

// ----- Twilio -----------------------------------------------------------------------------------

async fn twilio(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let c = state.channels.twilio.as_ref().ok_or_else(off)?;
    let params = inbound::form_params(&body).map_err(malformed)?;
    // Twilio signs the URL it called: the public address when known, else what reached us.
    let url = match state.public_url.as_str() {
        "" => format!(
            "http://{}{}",
            header_str(&headers, "host").unwrap_or("localhost"),
            uri
        ),
        base => format!("{base}{uri}"),
    };
    verify::twilio_signature(
        c.auth_token.expose(),
        &url,
        &params,
        header_str(&headers, "x-twilio-signature"),
    )
    .map_err(unverified)?;
    record(&state, inbound::twilio(&params).map_err(malformed)?).await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>",
    )
        .into_response())
}

// ----- X ----------------------------------------------------------------------------------------

async fn x_crc(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let c = state.channels.x.as_ref().ok_or_else(off)?;
    let token = url_pairs(uri.query().unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "crc_token")
        .map(|(_, v)| v)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::BadRequest("crc_token is missing".into()))?;
    let answer = serde_json::json!({
        "response_token": verify::sign_x(c.consumer_secret.expose(), token.as_bytes())
    });
    Ok(axum::Json(answer).into_response())
}

async fn x(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let c = state.channels.x.as_ref().ok_or_else(off)?;
    verify::x_signature(
        c.consumer_secret.expose(),
        header_str(&headers, "x-twitter-webhooks-signature"),
        &body,
    )
    .map_err(unverified)?;
    record(&state, inbound::x(&body).map_err(malformed)?).await?;
    Ok(StatusCode::OK)
}

// ----- e-mail -----------------------------------------------------------------------------------

async fn email(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let c = state.channels.email.as_ref().ok_or_else(off)?;
    verify::shared_secret(
        c.webhook_secret.expose(),
        header_str(&headers, "x-tanggap-webhook-secret"),
    )
    .map_err(unverified)?;
    record(&state, inbound::email(&body).map_err(malformed)?).await?;
    Ok(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_channel_is_a_chat_channel_of_the_domain() {
        use tanggap_domain::Channel;
        for c in [
            Channel::Whatsapp,
            Channel::Telegram,
            Channel::Sms,
            Channel::Facebook,
            Channel::Twitter,
            Channel::Email,
        ] {
            assert!(
                tanggap_domain::escalation::NotifyChannel::for_report_channel(c).is_some(),
                "{c:?} can be answered"
            );
        }
    }
}
